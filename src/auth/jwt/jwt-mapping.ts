import { Errors } from '../../common/errors/gateway-error';
import type { JwtAuthConfig, JwtRole } from '../../config/gateway-config';

/** Highest first: a token holding several mapped roles gets the strongest. */
const RANK: Readonly<Record<JwtRole, number>> = { proxy_admin: 3, proxy_admin_viewer: 2, internal_user: 1, team: 0 };

/** The `litellm_jwtauth` settings the mapping reads. */
export type JwtMappingSettings = Pick<
  JwtAuthConfig,
  | 'userAllowedEmailDomain'
  | 'userRolesField'
  | 'userAllowedRoles'
  | 'rolesField'
  | 'roleMappings'
  | 'scopeMappings'
  | 'enforceScopeBasedAccess'
>;

/** A claim by name, or by dotted path (`realm_access.roles`, `resource_access.my-client.roles`) when no claim has the name. */
export function claimValue(claims: Readonly<Record<string, unknown>>, name: string): unknown {
  let value: unknown = claims[name];
  if (value === undefined && name.includes('.')) {
    value = name
      .split('.')
      .reduce<unknown>(
        (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
        claims,
      );
  }
  return value;
}

/** A list claim (groups, roles, team ids): an array of strings, or one string (a single entry). */
export function claimList(claims: Readonly<Record<string, unknown>>, name: string): string[] {
  const value = claimValue(claims, name);
  if (typeof value === 'string') return value ? [value] : [];
  if (typeof value === 'number' && Number.isFinite(value)) return [String(value)];
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const v of value as unknown[]) {
    const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
    if (typeof s === 'string' && s && !out.includes(s)) out.push(s);
  }
  return out;
}

/** `user_allowed_email_domain`: the email claim must be of that domain (case-insensitive), or the token is refused. */
export function checkEmailDomain(email: string | undefined, domain: string | undefined): void {
  if (domain === undefined) return;
  const at = email?.lastIndexOf('@') ?? -1;
  if (email === undefined || at < 0 || email.slice(at + 1).toLowerCase() !== domain.toLowerCase()) {
    throw Errors.forbidden(
      `JWT is valid but its user email is not of the allowed domain ${JSON.stringify(domain)}`,
      'user_email_not_allowed',
    );
  }
}

/** `user_roles_jwt_field` + `user_allowed_roles`: the token must hold one of the allowed roles. */
export function checkUserRoles(claims: Readonly<Record<string, unknown>>, s: Partial<JwtMappingSettings>): void {
  if (!s.userRolesField || !s.userAllowedRoles) return;
  const held = claimList(claims, s.userRolesField);
  if (held.some((r) => s.userAllowedRoles!.includes(r))) return;
  throw Errors.forbidden(
    `JWT is valid but holds none of the allowed user roles (${s.userAllowedRoles.join(', ')}) in "${s.userRolesField}"`,
    'user_role_not_allowed',
  );
}

/** `roles_jwt_field` + `role_mappings`: the strongest role the IdP roles or groups map to, if any. */
export function mappedRole(
  claims: Readonly<Record<string, unknown>>,
  s: Partial<JwtMappingSettings>,
): JwtRole | undefined {
  if (!s.rolesField || !s.roleMappings?.length) return undefined;
  const held = new Set(claimList(claims, s.rolesField));
  let best: JwtRole | undefined;
  for (const m of s.roleMappings) {
    if (held.has(m.role) && (best === undefined || RANK[m.internalRole] > RANK[best])) best = m.internalRole;
  }
  return best;
}

/**
 * `scope_mappings` with `enforce_scope_based_access`: the models and routes the token's scopes grant (null: scope
 * access is not enforced, so scopes limit nothing).
 */
export function scopeGrants(
  scopes: readonly string[],
  s: Partial<JwtMappingSettings>,
): { models: readonly string[]; routes: readonly string[] } | null {
  if (!s.enforceScopeBasedAccess) return null;
  const models = new Set<string>();
  const routes = new Set<string>();
  for (const m of s.scopeMappings ?? []) {
    if (!scopes.includes(m.scope)) continue;
    for (const x of m.models) models.add(x);
    for (const r of m.routes) routes.add(r);
  }
  return { models: [...models], routes: [...routes] };
}
