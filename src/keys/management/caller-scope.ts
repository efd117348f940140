import type { Caller } from '../../auth/caller';
import { DEFAULT_CALLER_ROUTES, teamJwtRoutes } from '../../auth/route-groups';
import { Errors } from '../../common/errors/gateway-error';
import type { GatewayConfig } from '../../config/gateway-config';
import type { AccessObjects } from '../access/access-objects.service';
import type { KeyCache } from '../key-cache.service';
import { isInternalUser, scopeOf, type KeyScope } from '../key-scope';

/**
 * What the caller may manage (null: every key); see key-scope.ts. A virtual key's own fields come from the cache; an
 * internal user's teams (`teamsOf`: the teams whose members name it) from the database, when the change may name a
 * team (without `teamsOf` it may name none but its own).
 */
export async function callerScope(
  caller: Caller,
  config: GatewayConfig,
  cache: KeyCache,
  objects: AccessObjects,
  teamsOf?: (userId: string) => Promise<string[]>,
): Promise<KeyScope | null> {
  const scope = await ownScope(caller, config, cache, objects);
  if (!scope || !isInternalUser(caller) || !teamsOf) return scope;
  // Without a user id (a JWT without user_id_jwt_field) no team's members can name it.
  return { ...scope, memberTeams: scope.userId === null ? [] : await teamsOf(scope.userId) };
}

async function ownScope(
  caller: Caller,
  config: GatewayConfig,
  cache: KeyCache,
  objects: AccessObjects,
): Promise<KeyScope | null> {
  // A viewer reaches every key to read; the guard refuses it every change. A key of an admin or viewer user alike.
  if (caller.role === 'master' || caller.role === 'admin' || caller.role === 'proxy_admin_viewer') return null;
  if (caller.via === 'jwt' && (caller.role === 'team' || caller.role === 'internal_user'))
    return scopeOf(caller, {
      routes: caller.role === 'team' ? teamJwtRoutes(config) : DEFAULT_CALLER_ROUTES,
      // A token may give a key only the models it may use itself: a key is not held to the JWT's own bounds.
      models: jwtModels(caller, config, objects),
      limited: false,
    });
  const own = caller.token ? await cache.findByHash(caller.token) : null;
  if (!own) throw Errors.unauthorized('This key no longer exists', 'invalid_api_key');
  const rateLimited = own.rpmLimit !== null || own.tpmLimit !== null || own.maxParallelRequests !== null;
  const limited = rateLimited || own.maxBudget !== null || own.expires !== null;
  return scopeOf(caller, {
    routes: own.allowedRoutes,
    models: own.modelSet ? own.models : null,
    limited,
    rateLimited,
  });
}

/**
 * The models a JWT may use (null: every model): those its scopes grant (enforce_scope_based_access), and with
 * enforce_team_based_model_access those its team lists: none when the team lists none or is not stored, every
 * one for `all-proxy-models`. Read from the object mirror, as a model call reads it.
 */
function jwtModels(caller: Caller, config: GatewayConfig, objects: AccessObjects): readonly string[] | null {
  const scoped = caller.scopeModels ?? null;
  if (!config.jwt.enforceTeamBasedModelAccess) return scoped;
  const team = caller.teamId !== undefined ? objects.get('team', caller.teamId) : undefined;
  const listed = team === undefined ? [] : team.modelSet !== null ? team.models : team.models.length > 0 ? null : [];
  if (listed === null) return scoped;
  return scoped === null ? listed : listed.filter((m) => scoped.includes(m));
}
