import { Errors } from '../../common/errors/gateway-error';
import { isStorableText } from '../../keys/dto/storable';
import type { Caller } from '../caller';
import {
  checkEmailDomain,
  checkUserRoles,
  claimList,
  mappedRole,
  scopeGrants,
  type JwtMappingSettings,
} from './jwt-mapping';
import { JwtRejection } from './jwt-rejection';

/** The claim names and mapping that decide a JWT's role (from `litellm_jwtauth`), prepared once at start. */
export interface ClaimSettings extends Partial<JwtMappingSettings> {
  readonly adminScope: string;
  readonly teamIdField: string;
  readonly userIdField: string;
  readonly teamIdsField?: string;
  readonly teamIdDefault?: string;
  readonly userEmailField?: string;
  readonly endUserIdField?: string;
}

/**
 * `scope` and `scp`: each a space-separated string or an array of strings (as providers differ). Split on the space
 * alone, as OAuth defines it: a tab or newline inside a scope string is part of a (strange) scope name.
 */
export function parseScopes(claims: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const value of [claims.scope, claims.scp]) {
    if (typeof value === 'string') {
      for (const s of value.split(' ')) if (s && !out.includes(s)) out.push(s);
    } else if (Array.isArray(value)) {
      for (const s of value) if (typeof s === 'string' && s && !out.includes(s)) out.push(s);
    }
  }
  return out;
}

/** A claim by name; a dotted name (`realm_access.team`) is looked up as a path when no claim has it literally. */
export function claimString(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  let value: unknown = claims[name];
  if (value === undefined && name.includes('.')) {
    value = name
      .split('.')
      .reduce<unknown>(
        (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
        claims,
      );
  }
  if (typeof value === 'string') return value || undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Longest id a claim may give: the team, user and end user ids it names are stored, as by the API (256). */
const MAX_ID_LENGTH = 256;

function isStorableId(id: string): boolean {
  return id.length <= MAX_ID_LENGTH && isStorableText(id);
}

/**
 * A claim that names a stored object (team, user, end user, email): refused (401, naming the claim) when no such id
 * can be stored, rather than failing where the object is looked up or created.
 */
function storableId(claims: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const id = claimString(claims, name);
  if (id === undefined || isStorableId(id)) return id;
  throw new JwtRejection(
    `Invalid JWT: its "${name}" claim is no usable id (at most ${MAX_ID_LENGTH} characters, ` +
      'without NUL characters or unpaired surrogates)',
  );
}

/**
 * The token's role, in this order: the admin scope makes an admin; else `role_mappings` decide (the strongest role
 * the `roles_jwt_field` roles or groups map to); else a team (the `team_id_jwt_field` claim, else the first of
 * `team_ids_jwt_field`, else `team_id_default`) makes a team caller; else the token is refused (403) naming the
 * claims that were looked for. The email-domain and required-roles gates refuse a token first (403).
 */
export function callerFromClaims(claims: Readonly<Record<string, unknown>>, settings: ClaimSettings): Caller {
  const scopes = parseScopes(claims);
  const subject = claimString(claims, 'sub');
  const clientId = claimString(claims, 'client_id') ?? claimString(claims, 'azp');
  const userId = storableId(claims, settings.userIdField);
  const email = storableId(claims, settings.userEmailField ?? 'email');
  checkEmailDomain(email, settings.userAllowedEmailDomain);
  checkUserRoles(claims, settings);
  const mapped = mappedRole(claims, settings);
  if (scopes.includes(settings.adminScope) || mapped === 'proxy_admin') {
    return Object.freeze({ role: 'admin', via: 'jwt', userId, subject, clientId, scopes: Object.freeze(scopes) });
  }
  // A listed group that cannot be a team id is no team of the caller's; the others still are.
  const listed = settings.teamIdsField ? claimList(claims, settings.teamIdsField).filter(isStorableId) : [];
  const claimed = storableId(claims, settings.teamIdField);
  // The team_id_jwt_field team comes first among the token's teams (it is the team unless the header or the
  // model picks a listed one), so one listed group beside it is still a choice.
  const teamIds = claimed === undefined ? listed : [claimed, ...listed.filter((t) => t !== claimed)];
  const teamId = teamIds[0] ?? settings.teamIdDefault;
  const role = mapped ?? (teamId !== undefined ? 'team' : undefined);
  if (role === undefined || (role === 'team' && teamId === undefined)) {
    throw Errors.forbidden(
      `JWT is valid but grants no role: it has neither the admin scope "${settings.adminScope}" (in "scope" or "scp") ` +
        `nor a "${settings.teamIdField}" claim (the team id)`,
      'jwt_no_role',
    );
  }
  const caller: Record<string, unknown> = {
    role,
    via: 'jwt',
    userId,
    subject,
    clientId,
    scopes: Object.freeze(scopes),
  };
  if (role !== 'proxy_admin_viewer' && teamId !== undefined) caller.teamId = teamId;
  if (teamIds.length > 1) caller.teamIds = Object.freeze(teamIds);
  if (email !== undefined && settings.userEmailField) caller.userEmail = email;
  const endUserId = settings.endUserIdField ? storableId(claims, settings.endUserIdField) : undefined;
  if (endUserId !== undefined) caller.endUserId = endUserId;
  const grants = scopeGrants(scopes, settings);
  if (grants) caller.scopeModels = Object.freeze(grants.models);
  return Object.freeze(caller) as unknown as Caller;
}

/** Routes the token's scopes grant (`scope_mappings[].routes`, with `enforce_scope_based_access`). */
export function scopeRoutes(scopes: readonly string[], settings: ClaimSettings): readonly string[] {
  return scopeGrants(scopes, settings)?.routes ?? [];
}
