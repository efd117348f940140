import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { jwtVerify, type JWTPayload } from 'jose';
import { Strategy } from 'passport-jwt';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import type { AuthResult } from '../auth-result';
import { extractCredential } from '../credentials/credential';
import type { CredentialCarrier } from '../credentials/request-credential';
import { assertClaimsObject, parseJoseHeader } from '../jwt/jose-header';
import { EDDSA_ALGORITHMS, JSONWEBTOKEN_ALGORITHMS, isEdDsa } from '../jwt/jwt-algorithms';
import { callerFromClaims, claimString, scopeRoutes, type ClaimSettings } from '../jwt/jwt-claims';
import { ACCESS_DIRECTORY, type AccessDirectory } from '../../keys/access/access-directory';
import { teamNotFound } from '../../keys/access/jwt-teams';
import { actorOf } from '../../keys/actor';
import type { Caller } from '../caller';
import { JwtRejection } from '../jwt/jwt-rejection';
import { JwksKeyStore } from '../jwt/jwks-key-store';
import { VerifiedTokenCache } from '../jwt/verified-token-cache';
import { RoutePolicies } from '../routes/route-policies';

/**
 * JWTs from the OpenID provider: passport-jwt (jsonwebtoken) verifies RS*, PS* and ES* tokens with the key the
 * JWKS store picks by `kid` (jwks-rsa under it); exp/nbf are checked with `leeway`, aud/iss when configured.
 * jsonwebtoken has no EdDSA, so EdDSA/Ed25519 tokens are verified by `jose` inside this same strategy, with the
 * same key choice and the same claim checks. A verified token's result is cached by the SHA-256 of the token.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly claims: ClaimSettings;
  private readonly teamIdUpsert: boolean;
  /** `litellm_jwtauth.issuers[].audience`: a token of that issuer must hold one of these. */
  private readonly issuerAudience: ReadonlyMap<string, readonly string[]>;
  private readonly userIdUpsert: boolean;
  private readonly joseOptions: {
    algorithms: string[];
    audience?: string[];
    issuer?: string[];
    clockTolerance: number;
  };

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly keys: JwksKeyStore,
    private readonly cache: VerifiedTokenCache,
    private readonly policies: RoutePolicies,
    @Inject(ACCESS_DIRECTORY) private readonly directory: AccessDirectory,
  ) {
    const jwt = config.jwt;
    super({
      jwtFromRequest: (req: CredentialCarrier) => extractCredential(req.headers) ?? null,
      secretOrKeyProvider: (_req: unknown, rawToken: string, done: (err: unknown, key?: never) => void) => {
        let header;
        try {
          header = parseJoseHeader(rawToken);
        } catch (err) {
          return done(err);
        }
        keys
          .resolve(header, rawToken)
          .then(
            (key) => done(null, key as never),
            (err: unknown) => done(err),
          )
          // jsonwebtoken verifies synchronously inside done(): whatever it throws is a refusal, never an unhandled rejection.
          .catch((err: unknown) => done(err));
      },
      algorithms: JSONWEBTOKEN_ALGORITHMS,
      audience: jwt.audience ? [...jwt.audience] : undefined,
      issuer: jwt.issuer ? [...jwt.issuer] : undefined,
      jsonWebTokenOptions: { clockTolerance: jwt.leewaySec },
      passReqToCallback: true,
    });
    this.claims = { ...jwt, adminScope: jwt.adminScope, teamIdField: jwt.teamIdField, userIdField: jwt.userIdField };
    this.teamIdUpsert = jwt.teamIdUpsert;
    this.issuerAudience = new Map(jwt.issuers.flatMap((i) => (i.audience ? [[i.issuer, i.audience] as const] : [])));
    this.userIdUpsert = jwt.userIdUpsert;
    this.joseOptions = {
      algorithms: [...EDDSA_ALGORITHMS],
      audience: jwt.audience ? [...jwt.audience] : undefined,
      issuer: jwt.issuer ? [...jwt.issuer] : undefined,
      clockTolerance: jwt.leewaySec,
    };
  }

  /** Routes EdDSA tokens to jose; everything else goes through passport-jwt as usual. */
  override authenticate(req: never, options?: unknown): void {
    const token = extractCredential((req as CredentialCarrier).headers);
    if (token !== undefined) {
      let alg: string;
      try {
        alg = parseJoseHeader(token).alg;
        assertClaimsObject(token);
      } catch (err) {
        return this.fail(err, 401);
      }
      if (isEdDsa(alg)) {
        void this.authenticateEdDsa(req, token);
        return;
      }
    }
    super.authenticate(req, options);
  }

  private async authenticateEdDsa(req: CredentialCarrier, token: string): Promise<void> {
    let payload: JWTPayload;
    try {
      const key = await this.keys.resolve(parseJoseHeader(token), token);
      payload = (await jwtVerify(token, key, this.joseOptions)).payload;
    } catch (err) {
      return this.fail(err, 401);
    }
    try {
      this.success(await this.validate(req, payload));
    } catch (err) {
      this.error(err as Error);
    }
  }

  /**
   * Called with the verified payload: decides the role (403 when none), stores a team or user seen for the first
   * time when `team_id_upsert` / `user_id_upsert` say so (an unknown team without upsert is 403 `team_not_found`),
   * and caches the result until `exp`: this runs once per token, not per call.
   */
  async validate(req: CredentialCarrier, payload: Record<string, unknown>): Promise<AuthResult> {
    if (typeof payload.exp !== 'number')
      throw new JwtRejection('Invalid JWT: it has no "exp" claim; tokens without an expiry are refused');
    const wanted = typeof payload.iss === 'string' ? this.issuerAudience.get(payload.iss) : undefined;
    if (wanted !== undefined && !holdsAudience(payload.aud, wanted))
      throw new JwtRejection(
        "Invalid JWT: its audience is not one its issuer's entry in litellm_jwtauth.issuers accepts",
      );
    const caller = callerFromClaims(payload, this.claims);
    await this.register(caller, claimString(payload, this.claims.teamIdField));
    const role = caller.role as 'admin' | 'proxy_admin_viewer' | 'internal_user' | 'team';
    const result: AuthResult = Object.freeze({
      caller,
      policy: this.policies.forJwt(role, scopeRoutes(caller.scopes, this.claims)),
    });
    const token = extractCredential(req.headers);
    if (token !== undefined) this.cache.set(token, result, payload.exp, this.keys.usableForMs());
    return result;
  }

  /** The token's teams and user in the store (created on first use when configured so). */
  private async register(caller: Caller, claimedTeam: string | undefined): Promise<void> {
    if (caller.role !== 'team' && caller.role !== 'internal_user') return;
    const actor = actorOf(caller);
    const teams = caller.teamIds ?? (caller.teamId !== undefined ? [caller.teamId] : []);
    for (const teamId of teams.slice(0, MAX_UPSERTED_TEAMS)) {
      if (this.directory.hasTeam(teamId)) continue;
      if (!this.teamIdUpsert) {
        // A listed team that is not stored is passed over by each call (the first stored one that may use the model
        // is used, as LiteLLM's team search does); only a team_id claim of its own must exist.
        if (caller.teamIds && teamId !== claimedTeam) continue;
        throw teamNotFound(teamId);
      }
      await this.directory.upsertTeam(teamId, actor);
    }
    if (this.userIdUpsert && caller.userId !== undefined && !this.directory.hasUser(caller.userId))
      await this.directory.upsertUser(caller.userId, caller.userEmail, actor);
  }
}

/** Teams a token's team list may create at once: a list claim holding every IdP group stays bounded. */
const MAX_UPSERTED_TEAMS = 50;

function holdsAudience(aud: unknown, wanted: readonly string[]): boolean {
  if (typeof aud === 'string') return wanted.includes(aud);
  return Array.isArray(aud) && (aud as unknown[]).some((a) => typeof a === 'string' && wanted.includes(a));
}
