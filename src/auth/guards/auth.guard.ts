import { Inject, Injectable, type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Errors, GatewayError } from '../../common/errors/gateway-error';
import type { RouteGuard } from '../../common/http/direct-routes';
import { sha256Hex } from '../../common/crypto/sha256';
import { pathOf, routeOf } from '../../common/http/route-url';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { APP_LOGGER } from '../../logging/logger';
import type { AuthResult } from '../auth-result';
import type { Caller } from '../caller';
import {
  classifyCredential,
  extractCredential,
  looksLikeJwt,
  signatureStart,
  type ClassifyOptions,
  type CredentialKind,
} from '../credentials/credential';
import { CREDENTIAL_DIGEST, type CredentialCarrier } from '../credentials/request-credential';
import { isAnyCallerRoute } from '../decorators/any-caller.decorator';
import { IS_PUBLIC } from '../decorators/public.decorator';
import { VerifiedTokenCache } from '../jwt/verified-token-cache';
import { JwtStrategy } from '../strategies/jwt.strategy';
import { MasterKeyStrategy } from '../strategies/master-key.strategy';
import { StrategyRunner } from '../strategies/strategy-runner';
import { VirtualKeyStrategy } from '../strategies/virtual-key.strategy';
import { toAuthError } from './auth-errors';
import { AuthFailures, countsAsFailure } from './auth-failures';
import { NO_CREDENTIAL, type CredentialCheck } from '../credentials/credential-first';

const TEAM_HEADER = 'x-litellm-team-id';

/**
 * The one place that decides who may call what. For every route not marked @Public(): read the credential,
 * classify it, authenticate it with the matching Passport strategy (a warm JWT comes from the
 * verified-token cache instead), set `request.caller` and `request.routePolicy`, then check the route against the
 * caller's compiled route policy. No credential or a bad one: 401. A route outside the caller's policy: 403 naming
 * both.
 */
@Injectable()
export class AuthGuard implements CanActivate, RouteGuard, CredentialCheck {
  private readonly publicHandlers = new Map<unknown, boolean>();
  /** Callers with a team picked by header, per token's caller and team (built once, reused). */
  private readonly pinned = new WeakMap<Caller, Map<string, Caller>>();
  private readonly runners: Readonly<Record<CredentialKind, StrategyRunner>>;
  private readonly classify: ClassifyOptions;
  private readonly failures: AuthFailures;

  constructor(
    private readonly reflector: Reflector,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    master: MasterKeyStrategy,
    private readonly virtualKey: VirtualKeyStrategy,
    jwt: JwtStrategy,
    private readonly verifiedTokens: VerifiedTokenCache,
    @Inject(APP_LOGGER) private readonly log: Logger,
  ) {
    this.classify = { masterDigest: master.masterDigest, jwtEnabled: config.jwt.enabled };
    this.failures = new AuthFailures(config.authFailuresPerMinute);
    this.runners = {
      'master-key': new StrategyRunner(master),
      'virtual-key': new StrategyRunner(virtualKey),
      jwt: new StrategyRunner(jwt),
    };
  }

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    return this.check(ctx.switchToHttp().getRequest<FastifyRequest>(), ctx.getHandler(), ctx.getClass());
  }

  /**
   * The decision for a request to `handler` of `controller`: Nest's routes ask through canActivate, the direct routes
   * (common/http/direct-routes.ts) here.
   */
  check(req: FastifyRequest, handler: Function, controller: Type): boolean | Promise<boolean> {
    if (this.isPublic(handler, controller)) return true;
    // Decided before the body was read (auth/credentials/credential-first.ts): nothing is left to decide.
    if (req.caller !== undefined) return true;
    return this.authenticate(req);
  }

  /** Who calls, and may they call this route: sets `req.caller`, or throws (or rejects with) the refusal. */
  authenticate(req: FastifyRequest): true | Promise<true> {
    const token = extractCredential(req.headers);
    if (token === undefined) throw Errors.unauthorized(NO_CREDENTIAL, 'missing_api_key');
    // A JWT verified before comes from the cache (which hashes only its signature), with no digest of the whole
    // token: a hit is a token that was classified as a JWT then, so not the master key (the config does not change).
    if (this.classify.jwtEnabled && !token.startsWith('sk-')) {
      const sig = signatureStart(token);
      const verified = sig === -1 ? undefined : this.verifiedTokens.get(token, sig);
      if (verified !== undefined) return this.authorize(req, verified);
    }
    const digest = sha256Hex(token);
    const kind = classifyCredential(token, digest, this.classify);
    // A warm virtual key (in the key cache) skips the Passport run too.
    const warm = kind === 'virtual-key' ? this.virtualKey.warmResult(digest) : undefined;
    if (warm !== undefined) return this.authorize(req, warm);
    // Past here a credential costs a lookup or a verification: a client that keeps failing is refused first.
    if (this.failures.tracking) this.failures.check(req.ip);
    if (kind === null) {
      this.failures.failed(req.ip);
      throw this.unrecognized(token);
    }
    (req as unknown as CredentialCarrier)[CREDENTIAL_DIGEST] = digest;
    return this.runners[kind].run(req).then(
      (result) => this.authorize(req, result),
      (err: unknown) => {
        const out = this.refusal(req, kind, err);
        if (out.status === 401 && countsAsFailure(out.code)) this.failures.failed(req.ip);
        throw out;
      },
    );
  }

  private isPublic(handler: Function, controller: Type): boolean {
    let open = this.publicHandlers.get(handler);
    if (open === undefined) {
      open = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, controller]) === true;
      this.publicHandlers.set(handler, open);
    }
    return open;
  }

  private authorize(req: FastifyRequest, result: AuthResult): true {
    const caller = result.caller;
    req.caller =
      caller.teamIds !== undefined
        ? this.pinTeam(req, caller)
        : caller.via === 'jwt' && (caller.role === 'team' || caller.role === 'internal_user')
          ? onlyOwnTeam(req, caller)
          : caller;
    req.routePolicy = result.policy;
    const route = routeOf(req) ?? pathOf(req.url);
    // An @AnyCaller() route is read from the route's config only here, on the way to a refusal.
    if (result.policy.allows(route, deploymentOf(req)) || isAnyCallerRoute(req)) return true;
    const who = result.caller.teamId !== undefined ? ` (team ${JSON.stringify(result.caller.teamId)})` : '';
    // The route's pattern, not the request's path: a path can carry a secret (/key/sk-.../regenerate).
    throw Errors.forbidden(
      `Route ${req.method} ${route} is not allowed for role "${result.caller.role}"${who}; allowed: ${result.policy.describe()}`,
      'route_not_allowed',
    );
  }

  /**
   * A JWT listing several teams (`team_ids_jwt_field`): the `x-litellm-team-id` header picks one of them (another
   * team is 403); without it the caller keeps its list (admission uses the first team that may use the model).
   */
  private pinTeam(req: FastifyRequest, caller: Caller): Caller {
    const asked = req.headers[TEAM_HEADER];
    if (typeof asked !== 'string' || asked === '') return caller;
    if (!caller.teamIds!.includes(asked)) throw teamNotAllowed(asked);
    let pinned = this.pinned.get(caller);
    if (!pinned) {
      pinned = new Map();
      this.pinned.set(caller, pinned);
    }
    let c = pinned.get(asked);
    if (!c) {
      c = Object.freeze({ ...caller, teamId: asked, teamPinned: true });
      pinned.set(asked, c);
    }
    return c;
  }

  private unrecognized(token: string): GatewayError {
    if (!this.classify.jwtEnabled && looksLikeJwt(token)) {
      return Errors.unauthorized(
        'Invalid credential: it looks like a JWT, but JWT auth is not enabled (general_settings.enable_jwt_auth)',
      );
    }
    return Errors.unauthorized('Invalid API key: not the master key, a virtual key (sk-...) or a JWT');
  }

  private refusal(req: FastifyRequest, kind: CredentialKind, err: unknown): GatewayError {
    const out = toAuthError(kind, err);
    if (out.status === 401 || out.status === 403)
      this.log.debug({ reqId: req.id, kind, reason: out.message }, 'credential refused');
    else this.log.warn({ reqId: req.id, kind, reason: out.message }, 'credential could not be checked');
    return out;
  }
}

/** The deployment an Azure deployment route names (its `:model`, decoded), for entries allowing one deployment. */
function deploymentOf(req: FastifyRequest): string | undefined {
  const model = (req.params as Record<string, unknown> | undefined)?.model;
  return typeof model === 'string' ? model : undefined;
}

/** A JWT of one team (or none): `x-litellm-team-id` may name only that team, as a list's header may name only its own. */
function onlyOwnTeam(req: FastifyRequest, caller: Caller): Caller {
  const asked = req.headers[TEAM_HEADER];
  if (typeof asked === 'string' && asked !== '' && asked !== caller.teamId) throw teamNotAllowed(asked);
  return caller;
}

function teamNotAllowed(asked: string): GatewayError {
  return Errors.forbidden(
    `x-litellm-team-id ${JSON.stringify(asked.slice(0, 100))} is not one of this token's teams`,
    'team_not_allowed',
  );
}
