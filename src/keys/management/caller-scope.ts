import type { Caller } from '../../auth/caller';
import { DEFAULT_CALLER_ROUTES, teamJwtRoutes } from '../../auth/route-groups';
import { Errors } from '../../common/errors/gateway-error';
import type { GatewayConfig } from '../../config/gateway-config';
import type { KeyCache } from '../key-cache.service';
import { scopeOf, type KeyScope } from '../key-scope';

/** What the caller may manage (null: every key); see key-scope.ts. A virtual key's own fields come from the cache. */
export async function callerScope(caller: Caller, config: GatewayConfig, cache: KeyCache): Promise<KeyScope | null> {
  // A viewer reaches every key to read; the guard refuses it every change.
  if (caller.role === 'master' || caller.role === 'admin' || caller.role === 'proxy_admin_viewer') return null;
  if (caller.role === 'team' || caller.role === 'internal_user')
    return scopeOf(caller, {
      routes: caller.role === 'team' ? teamJwtRoutes(config) : DEFAULT_CALLER_ROUTES,
      // With enforce_scope_based_access a token may use only the models its scopes grant: a key it makes, too.
      models: caller.scopeModels ?? null,
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
