import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import type { Logger } from 'pino';
import { Errors } from '../../common/errors/gateway-error';
import type { KeyRecord } from '../../keys/key-record';
import { isUsable, unusableKeyError } from '../../keys/key-usable';
import { ACCESS_DIRECTORY, type AccessDirectory } from '../../keys/access/access-directory';
import { APP_LOGGER } from '../../logging/logger';
import type { AuthResult } from '../auth-result';
import type { Caller, CallerRole } from '../caller';
import { KEY_LOOKUP, type KeyLookup } from '../key-lookup';
import { requestDigest, type CredentialCarrier } from '../credentials/request-credential';
import { RoutePolicies } from '../routes/route-policies';

/**
 * Virtual keys (`sk-...`): looked up by the SHA-256 of the secret through the keys module's cache. Unknown,
 * blocked or expired keys are refused with 401. Model, budget and rate limits are enforced later, per call, by
 * CALL_ACCOUNTING (the keys module), which the proxy consults. A key of a user with a `user_role` acts with that
 * role (as in LiteLLM), within its own `allowed_routes` when it has them; its own limits still apply to its calls.
 */
@Injectable()
export class VirtualKeyStrategy extends PassportStrategy(Strategy, 'virtual-key') {
  constructor(
    @Inject(KEY_LOOKUP) private readonly keys: KeyLookup,
    private readonly policies: RoutePolicies,
    @Inject(ACCESS_DIRECTORY) private readonly users: AccessDirectory,
    @Inject(APP_LOGGER) private readonly log: Logger,
  ) {
    super();
  }

  async validate(req: CredentialCarrier): Promise<AuthResult> {
    const digest = requestDigest(req);
    if (digest === null) throw Errors.unauthorized('No API key given', 'missing_api_key');
    let record: KeyRecord | null;
    try {
      record = await this.keys.findByHash(digest);
    } catch (err) {
      this.log.error({ err: (err as Error).message, key: digest.slice(0, 12) }, 'virtual key lookup failed');
      throw Errors.unavailable('Virtual keys cannot be checked right now; try again', 'key_store_unavailable');
    }
    if (record === null) throw Errors.unauthorized('Invalid API key: no such virtual key', 'invalid_api_key');
    const refused = unusableKeyError(record);
    if (refused !== null) throw refused;
    return this.resultOf(record);
  }

  /**
   * The guard's fast path: a key already in memory, neither blocked nor expired, gives its result at once, without
   * a Passport run and its promises. Anything else (not cached, blocked, expired) is undefined: the guard then runs
   * the strategy, which loads or refuses it with the reason.
   */
  warmResult(digest: string): AuthResult | undefined {
    const record = this.keys.get(digest);
    if (record === undefined || !isUsable(record)) return undefined;
    return this.resultOf(record);
  }

  /**
   * One result per key record object, kept on it: a warm key allocates nothing here. A key of a user is made again
   * when any user's role changed since (one number compared), so a demotion or deletion applies to its next call.
   */
  private resultOf(record: KeyRecord): AuthResult {
    const cached = record.authResult;
    if (cached !== undefined && (record.userId === null || record.authUsers === this.users.usersVersion)) return cached;
    const version = this.users.usersVersion;
    const role = record.userId !== null ? keyRoleOf(this.users.userRoleOf(record.userId)) : 'virtual_key';
    // Made again only when the role differs: an unchanged one keeps its caller (team pins are held per caller).
    let result = cached;
    if (result === undefined || result.caller.role !== role) {
      result = Object.freeze({
        caller: callerOf(record, role),
        policy: this.policies.forKey(record.allowedRoutes, role),
      });
      record.authResult = result;
    }
    record.authUsers = version;
    return result;
  }
}

/** The caller role a key of a user with this `user_role` acts with: LiteLLM's roles; anything else a plain key. */
function keyRoleOf(userRole: string | null | undefined): CallerRole {
  switch (userRole) {
    case 'proxy_admin':
      return 'admin';
    case 'proxy_admin_viewer':
    case 'internal_user':
    case 'internal_user_viewer':
      return userRole;
    default:
      return 'virtual_key';
  }
}

/** Shared by every key's caller: a key has no scopes (those are a JWT's). */
const NO_SCOPES: readonly string[] = Object.freeze([]);

function callerOf(record: KeyRecord, role: CallerRole): Caller {
  return Object.freeze({
    role,
    via: 'virtual_key',
    token: record.token,
    keyAlias: record.keyAlias ?? undefined,
    teamId: record.teamId ?? undefined,
    userId: record.userId ?? undefined,
    scopes: NO_SCOPES,
  });
}
