import { Errors } from '../../common/errors/gateway-error';
import type { Caller } from '../caller';

/** The claim names that decide a JWT's role (from `litellm_jwtauth`), prepared once at start. */
export interface ClaimSettings {
  readonly adminScope: string;
  readonly teamIdField: string;
  readonly userIdField: string;
}

/** `scope` and `scp`: each a space-separated string or an array of strings (as providers differ). */
export function parseScopes(claims: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const value of [claims.scope, claims.scp]) {
    if (typeof value === 'string') {
      for (const s of value.split(/\s+/)) if (s && !out.includes(s)) out.push(s);
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

/**
 * The admin scope makes an admin; else the team claim makes a team caller of that id; else the token is refused
 * (403) naming the claims that were looked for.
 */
export function callerFromClaims(claims: Readonly<Record<string, unknown>>, settings: ClaimSettings): Caller {
  const scopes = parseScopes(claims);
  const subject = claimString(claims, 'sub');
  const clientId = claimString(claims, 'client_id') ?? claimString(claims, 'azp');
  const userId = claimString(claims, settings.userIdField);
  if (scopes.includes(settings.adminScope)) {
    return Object.freeze({ role: 'admin', via: 'jwt', userId, subject, clientId, scopes: Object.freeze(scopes) });
  }
  const teamId = claimString(claims, settings.teamIdField);
  if (teamId !== undefined) {
    return Object.freeze({
      role: 'team',
      via: 'jwt',
      teamId,
      userId,
      subject,
      clientId,
      scopes: Object.freeze(scopes),
    });
  }
  throw Errors.forbidden(
    `JWT is valid but grants no role: it has neither the admin scope "${settings.adminScope}" (in "scope" or "scp") ` +
      `nor a "${settings.teamIdField}" claim (the team id)`,
    'jwt_no_role',
  );
}
