import type { Caller } from '../auth/caller';
import { DEFAULT_CALLER_ROUTES } from '../auth/route-groups';
import { GatewayError } from '../common/errors/gateway-error';
import { actorOf } from './actor';

/**
 * The keys a caller given management routes may manage, and what it may give them. The master key and admin JWTs
 * manage every key. Anyone else (a project JWT whose `allowed_routes` include management routes, a virtual key
 * with such `allowed_routes`) manages only its project's keys — or, a virtual key without a project, only the keys it
 * created — and cannot give a key more than it has itself: no other project, no route and no model it lacks.
 */
export interface KeyScope {
  /** Only keys of this project (`team_id`). */
  readonly teamId?: string;
  /** Only keys this actor created. */
  readonly createdBy?: string;
  /** The caller's own route entries: a key it creates or changes gets only these. */
  readonly routes: readonly string[];
  /** The caller's own models, when it is limited to some. */
  readonly models: readonly string[] | null;
}

/** The fields of a generate or update request that the scope bounds. */
export interface ScopedFields {
  team_id?: string | null;
  models?: string[];
  allowed_routes?: string[];
}

/** Null: every key, anything. `own` is what the caller itself may do (its key's fields, or the project routes). */
export function scopeOf(caller: Caller, own: { routes: readonly string[]; models: readonly string[] | null }): KeyScope | null {
  if (caller.role === 'master' || caller.role === 'admin') return null;
  const where = caller.projectId !== undefined ? { teamId: caller.projectId } : { createdBy: actorOf(caller).id };
  return { ...where, routes: own.routes.length > 0 ? own.routes : DEFAULT_CALLER_ROUTES, models: own.models };
}

/** The row filter of a scope, for the repository (empty: every key). */
export function scopeWhere(scope: KeyScope | null): { teamId?: string; createdBy?: string } {
  if (!scope) return {};
  return scope.teamId !== undefined ? { teamId: scope.teamId } : { createdBy: scope.createdBy };
}

/**
 * Checks the bounded fields of a new key (`creating`: absent fields take their defaults, which must fit too) or of
 * an update (only the fields given). Returns the fields with the project filled in for a new key.
 */
export function withinScope<T extends ScopedFields>(scope: KeyScope | null, fields: T, creating: boolean): T {
  if (!scope) return fields;
  const team = fields.team_id;
  if (team !== undefined && (team ?? undefined) !== scope.teamId) {
    throw outOfScope(scope.teamId !== undefined ? `team_id must be your own project (${scope.teamId})` : 'team_id cannot be set by a key without a project', 'team_id');
  }
  const routes = fields.allowed_routes ?? (creating ? [] : undefined);
  if (routes !== undefined) {
    const given = routes.length > 0 ? routes : DEFAULT_CALLER_ROUTES;
    const own = new Set(scope.routes.map((r) => r.trim()));
    const extra = given.filter((r) => !own.has(r.trim()));
    if (extra.length > 0) {
      throw outOfScope(`allowed_routes may only hold routes you have yourself (${scope.routes.join(', ')}); not ${extra.join(', ')}`, 'allowed_routes');
    }
  }
  const models = fields.models ?? (creating ? [] : undefined);
  if (scope.models !== null && models !== undefined) {
    const own = new Set(scope.models);
    if (models.length === 0 || models.some((m) => !own.has(m))) {
      throw outOfScope(`models must be some of your own (${scope.models.join(', ')})`, 'models');
    }
  }
  return creating && scope.teamId !== undefined && team === undefined ? { ...fields, team_id: scope.teamId } : fields;
}

function outOfScope(message: string, param: string): GatewayError {
  return new GatewayError(403, 'key_scope_exceeded', message, { param });
}
