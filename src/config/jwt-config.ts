import type { FileConfig } from './config.schema';
import { splitList, type Env } from './config.util';
import type { JwtAuthConfig } from './gateway-config';

type GeneralSettings = FileConfig['general_settings'];

/**
 * `general_settings.litellm_jwtauth` as the gateway uses it. JWT_PUBLIC_KEY_URL, JWT_ISSUER and JWT_AUDIENCE win over
 * the file, as they do in LiteLLM.
 */
export function toJwtConfig(gs: GeneralSettings, env: Env): JwtAuthConfig {
  const ja = gs.litellm_jwtauth;
  return {
    enabled: gs.enable_jwt_auth,
    publicKeyUrls: env.JWT_PUBLIC_KEY_URL ? splitList(env.JWT_PUBLIC_KEY_URL) : (toList(ja.public_key_url) ?? []),
    issuers: (ja.issuers ?? []).map((i) => ({ issuer: i.issuer, jwksUrl: i.jwks_url, audience: toList(i.audience) })),
    audience: env.JWT_AUDIENCE ? splitList(env.JWT_AUDIENCE) : toList(ja.audience),
    issuer: env.JWT_ISSUER ? splitList(env.JWT_ISSUER) : toList(ja.issuer),
    adminScope: ja.admin_jwt_scope,
    teamIdField: ja.team_id_jwt_field,
    userIdField: ja.user_id_jwt_field,
    adminAllowedRoutes: ja.admin_allowed_routes,
    publicKeyTtlSec: ja.public_key_ttl,
    publicKeyStaleTtlSec: ja.public_key_stale_ttl,
    leewaySec: ja.leeway,
    teamIdsField: ja.team_ids_jwt_field,
    teamIdDefault: ja.team_id_default,
    teamIdUpsert: ja.team_id_upsert,
    teamAllowedRoutes: ja.team_allowed_routes,
    userIdUpsert: ja.user_id_upsert,
    userEmailField: ja.user_email_jwt_field,
    userAllowedEmailDomain: ja.user_allowed_email_domain,
    userRolesField: ja.user_roles_jwt_field,
    userAllowedRoles: ja.user_allowed_roles,
    rolesField: ja.roles_jwt_field,
    roleMappings: (ja.role_mappings ?? []).map((m) => ({ role: m.role, internalRole: m.internal_role })),
    scopeMappings: (ja.scope_mappings ?? []).map((m) => ({
      scope: m.scope,
      models: m.models ?? [],
      routes: m.routes ?? [],
    })),
    enforceScopeBasedAccess: ja.enforce_scope_based_access,
    enforceTeamBasedModelAccess: ja.enforce_team_based_model_access,
    endUserIdField: ja.end_user_id_jwt_field,
  };
}

/** A token any application of the provider was issued would pass: no audience is required anywhere. */
export function warnIfNoAudience(gs: GeneralSettings, env: Env, source: string, warnings: string[]): void {
  const ja = gs.litellm_jwtauth;
  const everyIssuerHasAudience =
    (ja.issuers?.length ?? 0) > 0 &&
    ja.issuers!.every((i) => i.audience !== undefined) &&
    !env.JWT_PUBLIC_KEY_URL &&
    ja.public_key_url === undefined;
  if (gs.enable_jwt_auth && !env.JWT_AUDIENCE && ja.audience === undefined && !everyIssuerHasAudience)
    warnings.push(
      `${source}: general_settings.litellm_jwtauth.audience: not set (nor JWT_AUDIENCE): a token the same provider issued for any other application is accepted`,
    );
}

function toList(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [v];
}
