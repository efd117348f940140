import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-custom';
import type { Logger } from 'pino';
import { Errors } from '../../common/errors/gateway-error';
import type { KeyRecord } from '../../keys/key-record';
import { isUsable, unusableKeyError } from '../../keys/key-usable';
import { APP_LOGGER } from '../../logging/logger';
import type { AuthResult } from '../auth-result';
import type { Caller } from '../caller';
import { KEY_LOOKUP, type KeyLookup } from '../key-lookup';
import { requestDigest, type CredentialCarrier } from '../credentials/request-credential';
import { RoutePolicies } from '../routes/route-policies';

/**
 * Virtual keys (`sk-...`): looked up by the SHA-256 of the secret through the keys module's cache. Unknown,
 * blocked or expired keys are refused with 401. Model, budget and rate limits are enforced later, per call, by
 * CALL_ACCOUNTING (the keys module), which the proxy consults.
 */
@Injectable()
export class VirtualKeyStrategy extends PassportStrategy(Strategy, 'virtual-key') {
  constructor(
    @Inject(KEY_LOOKUP) private readonly keys: KeyLookup,
    private readonly policies: RoutePolicies,
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

  /** One result per key record object, kept on it: a warm key allocates nothing here. */
  private resultOf(record: KeyRecord): AuthResult {
    return (record.authResult ??= Object.freeze({
      caller: callerOf(record),
      policy: this.policies.forKey(record.allowedRoutes),
    }));
  }
}

/** Shared by every key's caller: a key has no scopes (those are a JWT's). */
const NO_SCOPES: readonly string[] = Object.freeze([]);

function callerOf(record: KeyRecord): Caller {
  return Object.freeze({
    role: 'virtual_key',
    via: 'virtual_key',
    token: record.token,
    keyAlias: record.keyAlias ?? undefined,
    teamId: record.teamId ?? undefined,
    userId: record.userId ?? undefined,
    scopes: NO_SCOPES,
  });
}
