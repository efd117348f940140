import type { Caller } from '../auth/caller';
import { DEFAULT_CALLER_ROUTES } from '../auth/route-groups';
import { GatewayError } from '../common/errors/gateway-error';
import { actorOf } from './actor';
import type { KeyScopeWhere } from './keys.repository';

/**
 * The keys a caller given management routes may manage, and what it may give them. The master key and admin JWTs
 * manage every key. Anyone else (a team JWT whose `allowed_routes` include management routes, a virtual key
 * with such `allowed_routes`) manages only its team's keys — or, a virtual key without a team, only the keys it
 * created — and cannot give a key more than it has itself: no other team, no route or model it lacks.
 * A virtual key with limits of its own (a budget, rate limits, an expiry) cannot create or change keys at all: a key
 * it made could outlive or outspend it. A virtual key cannot change its own settings, and cannot regenerate (so
 * obtain the secret of) a key that has more than it has. A key an admin blocked stays blocked until an admin unblocks it.
 */
export interface KeyScope {
  /** Only keys of this team (`team_id`). */
  readonly teamId?: string;
  /** Only keys this actor created. */
  readonly createdBy?: string;
  /** Only keys of this user (`user_id`): a key of an internal user manages its user's keys, as in LiteLLM. */
  readonly ofUser?: string;
  /**
   * The only user it may name as a key's `user_id` (null: none): a key of another user would spend that user's budget.
   */
  readonly userId: string | null;
  /**
   * Teams an internal user may name as a key's `team_id` besides its own: those it is a member of (LiteLLM lets a
   * member make keys of its team, bound by the team's limits and its member budget there).
   */
  readonly memberTeams?: readonly string[];
  /** The keys it creates belong to its user (an internal user, a key of a user): a key of no user would escape its limits. */
  readonly keysOfUser: boolean;
  /** The caller's own key (a virtual key), which it may not change. */
  readonly self?: string;
  /** The caller's own route entries: a key it creates or changes gets only these. */
  readonly routes: readonly string[];
  /** The caller's own models, when it is limited to some. */
  readonly models: readonly string[] | null;
  /** The caller has limits of its own (budget, rate limits, expiry): it may not create or change keys. */
  readonly limited: boolean;
  /** The caller has rate limits (rpm, tpm, parallel): it may not rotate itself either (see mayRotateSelf). */
  readonly rateLimited?: boolean;
}

/** What a caller has itself: its key's fields (a virtual key), or the team's routes (a team JWT). */
export interface OwnRights {
  readonly routes: readonly string[];
  readonly models: readonly string[] | null;
  readonly limited: boolean;
  readonly rateLimited?: boolean;
}

/** The fields of a generate or update request that the scope bounds. */
export interface ScopedFields {
  team_id?: string | null;
  user_id?: string | null;
  models?: string[];
  allowed_routes?: string[];
}

/** An `internal_user` or `internal_user_viewer` caller (a JWT, or a key acting with its user's role). */
export function isInternalUser(caller: Caller): boolean {
  return caller.role === 'internal_user' || caller.role === 'internal_user_viewer';
}

/** Null: every key, anything. */
export function scopeOf(caller: Caller, own: OwnRights): KeyScope | null {
  if (caller.role === 'master' || caller.role === 'admin') return null;
  // An internal user manages the keys it created (a JWT) or its user's keys (a key of the user), whatever its team;
  // a team caller its team's keys.
  const internal = isInternalUser(caller);
  const byTeam = caller.teamId !== undefined && !internal;
  const where =
    internal && caller.via === 'virtual_key' && caller.userId !== undefined
      ? { ofUser: caller.userId }
      : byTeam
        ? { teamId: caller.teamId }
        : { createdBy: actorOf(caller).id };
  return {
    ...where,
    userId: caller.userId ?? null,
    keysOfUser: internal || (caller.role === 'virtual_key' && caller.userId !== undefined),
    self: caller.token,
    routes: own.routes.length > 0 ? own.routes : DEFAULT_CALLER_ROUTES,
    models: own.models,
    limited: own.limited,
    rateLimited: own.rateLimited,
  };
}

/** The row filter of a scope, for the repository (empty: every key). A key without a team also reaches itself. */
export function scopeWhere(scope: KeyScope | null): KeyScopeWhere {
  if (!scope) return {};
  if (scope.teamId !== undefined) return { teamId: scope.teamId };
  if (scope.ofUser !== undefined) return { userId: scope.ofUser };
  return scope.self !== undefined
    ? { OR: [{ createdBy: scope.createdBy }, { token: scope.self }] }
    : { createdBy: scope.createdBy };
}

/**
 * Checks the bounded fields of a new key (`creating`: absent fields take their defaults, which must fit too) or of
 * a change to key `target` (only the fields given). Returns the fields with the team filled in for a new key.
 */
export function withinScope<T extends ScopedFields>(
  scope: KeyScope | null,
  fields: T,
  creating: boolean,
  target?: string,
): T {
  if (!scope) return fields;
  const self = !creating && target !== undefined && target === scope.self;
  const changes = Object.values(fields).some((v) => v !== undefined);
  if (self && changes) throw outOfScope('A key cannot change its own settings; ask an admin', 'key');
  // Regenerating itself (a new secret, nothing else) is the one change a limited key may make.
  if (scope.limited && !(self && !changes)) {
    throw outOfScope(
      'A key with a budget, rate limits or an expiry of its own cannot create or change keys; ask an admin',
      'key',
    );
  }
  const team = fields.team_id;
  if (
    team !== undefined &&
    (team ?? undefined) !== scope.teamId &&
    !(team !== null && scope.memberTeams?.includes(team))
  )
    throw outOfScope(teamRefusal(scope), 'team_id');
  const user = fields.user_id;
  if (user !== undefined && (user ?? null) !== scope.userId) {
    throw outOfScope(
      scope.userId !== null
        ? `You can only create keys for yourself: user_id must be your own (${scope.userId})`
        : 'user_id cannot be set by a caller without a user id',
      'user_id',
    );
  }
  const routes = fields.allowed_routes ?? (creating ? [] : undefined);
  if (routes !== undefined) {
    const given = routes.length > 0 ? routes : DEFAULT_CALLER_ROUTES;
    const own = new Set(scope.routes.map((r) => r.trim()));
    const extra = given.filter((r) => !own.has(r.trim()));
    if (extra.length > 0) {
      throw outOfScope(
        `allowed_routes may only hold routes you have yourself (${scope.routes.join(', ')}); not ${extra.join(', ')}`,
        'allowed_routes',
      );
    }
  }
  const models = fields.models ?? (creating ? [] : undefined);
  if (scope.models !== null && models !== undefined) {
    const own = new Set(scope.models);
    if (models.length === 0 || models.some((m) => !own.has(m))) {
      throw outOfScope(
        scope.models.length > 0
          ? `models must be some of your own (${scope.models.join(', ')})`
          : 'You may use no model yourself, so a key you make may have none either',
        'models',
      );
    }
  }
  if (!creating) return fields;
  return {
    ...fields,
    ...(scope.teamId !== undefined && team === undefined ? { team_id: scope.teamId } : {}),
    ...(scope.keysOfUser && scope.userId !== null && user === undefined ? { user_id: scope.userId } : {}),
  };
}

/**
 * A key regenerating itself: its rate windows (rpm, tpm, parallel calls) are counted per token, so a new token
 * would start them afresh; a rate-limited key asks an admin to rotate it. Its spend and expiry stay on the row.
 */
export function mayRotateSelf(scope: KeyScope | null, target: string): void {
  if (scope?.rateLimited && target === scope.self) {
    throw outOfScope(
      'A key with rate limits cannot regenerate itself (its rate windows would start afresh); ask an admin',
      'key',
    );
  }
}

/** A key the caller would regenerate, and so hold the secret of: it must not have more than the caller has. */
export function mayTakeOver(
  scope: KeyScope | null,
  row: { token: string; models: string[]; allowedRoutes: string[]; teamId: string | null },
): void {
  if (!scope || row.token === scope.self) return;
  noMoreThanCaller(
    scope,
    { models: row.models, allowed_routes: row.allowedRoutes, team_id: row.teamId },
    'key',
    'regenerate it',
  );
}

/**
 * A key the caller would move to another team, or out of one: its models and routes then answer to other limits (or
 * to none of a team), so it must not have more than the caller has, as for a regenerate.
 */
export function mayMove(scope: KeyScope | null, row: { models: string[]; allowedRoutes: string[] }): void {
  if (!scope) return;
  noMoreThanCaller(
    scope,
    { models: row.models, allowed_routes: row.allowedRoutes },
    'team_id',
    'move it to another team',
  );
}

/** A key with these fields is one the caller could have made itself; else refused, naming what it has more of. */
function noMoreThanCaller(scope: KeyScope, fields: ScopedFields, param: string, what: string): void {
  try {
    withinScope(scope, fields, true);
  } catch (err) {
    throw outOfScope(
      `This key has more than you have (${(err as GatewayError).param}): only an admin may ${what}`,
      param,
    );
  }
}

/**
 * The rows a change guarded by a read of `row` may write: those of `where` still as read (same models, routes and
 * team), so that what was checked is what is written.
 */
export function asRead(
  where: KeyScopeWhere,
  row: { models: string[]; allowedRoutes: string[]; teamId: string | null },
): KeyScopeWhere {
  return {
    AND: [where, { models: { equals: row.models }, allowedRoutes: { equals: row.allowedRoutes }, teamId: row.teamId }],
  };
}

/** Roles whose block binds every caller that is not an admin. */
const ADMIN_ROLES = ['master', 'admin'];

/**
 * The row filter for a change that sets `blocked`: a scoped caller reaches only keys no admin blocked, so it can
 * neither lift an admin's block nor relabel it as its own (and the filter keeps that true when the row is written).
 */
export function blockWhere(scope: KeyScope | null, blocked: boolean | undefined, where: KeyScopeWhere): KeyScopeWhere {
  if (!scope || blocked === undefined) return where;
  return { AND: [where, { OR: [{ blockedBy: null }, { blockedBy: { notIn: ADMIN_ROLES } }] }] };
}

/** An admin blocked this key. */
export const isAdminBlocked = (row: { blockedBy: string | null }): boolean =>
  row.blockedBy !== null && ADMIN_ROLES.includes(row.blockedBy);

export function adminBlocked(): GatewayError {
  return outOfScope('An admin blocked this key: only an admin may unblock it', 'key');
}

function teamRefusal(scope: KeyScope): string {
  if (scope.memberTeams !== undefined && scope.userId === null)
    return 'team_id needs your user id to find the teams you are a member of, and this token has none (user_id_jwt_field)';
  if (scope.memberTeams !== undefined)
    return scope.memberTeams.length > 0
      ? `team_id must be a team you are a member of (${named(scope.memberTeams)})`
      : 'team_id must be a team you are a member of, and you are a member of none';
  return scope.teamId !== undefined
    ? `team_id must be your own team (${scope.teamId})`
    : 'team_id cannot be set by a key without a team';
}

/** The first few of a list, for a message that stays short however many there are. */
function named(ids: readonly string[], shown = 10): string {
  const more = ids.length - shown;
  return ids.slice(0, shown).join(', ') + (more > 0 ? ` and ${more} more` : '');
}

function outOfScope(message: string, param: string): GatewayError {
  return new GatewayError(403, 'key_scope_exceeded', message, { param });
}
