import type { Caller } from '../../auth/caller';
import { Errors } from '../../common/errors/gateway-error';

/**
 * Who may read and change teams, users and end users. The master key and admin JWTs (`proxy_admin`) change
 * anything; `proxy_admin_viewer` reads everything and changes nothing; everyone else reads only what is theirs
 * (its team, its user) and changes only what a route allows it explicitly (a team's members, for its own team).
 */
export function isAdmin(caller: Caller): boolean {
  return caller.role === 'master' || caller.role === 'admin';
}

export function readsAll(caller: Caller): boolean {
  return isAdmin(caller) || caller.role === 'proxy_admin_viewer';
}

/** Changes reserved to admins: a team cannot raise its own limits, a viewer changes nothing. */
export function requireAdmin(caller: Caller, what: string): void {
  if (!isAdmin(caller))
    throw Errors.forbidden(`Only a proxy admin may ${what} (your role: ${caller.role})`, 'admin_only');
}

/** Reading one team: admins and viewers any; others only the team they call as (or their key belongs to). */
export function mayReadTeam(caller: Caller, teamId: string): void {
  if (readsAll(caller) || caller.teamId === teamId) return;
  throw Errors.forbidden(`You may only read your own team, not team ${JSON.stringify(teamId)}`, 'team_forbidden');
}

/** Reading one user: admins and viewers any; others only their own user id. */
export function mayReadUser(caller: Caller, userId: string): void {
  if (readsAll(caller) || (caller.userId !== undefined && caller.userId === userId)) return;
  throw Errors.forbidden("You may only read your own user's info", 'user_forbidden');
}
