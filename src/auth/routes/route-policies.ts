import { Inject, Injectable } from '@nestjs/common';
import { boundedLru } from '../../common/cache/bounded-lru';
import { ConfigError } from '../../config/config.error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import type { CallerRole } from '../caller';
import {
  DEFAULT_CALLER_ROUTES,
  INTERNAL_USER_ROUTES,
  INTERNAL_USER_VIEWER_ROUTES,
  teamJwtRoutes,
  VIEWER_ROUTES,
} from '../route-groups';
import { RouteMatcher, describeInvalidRoutes } from './route-matcher';
import { BothPolicies, RoutePolicy } from './route-policy';

/**
 * Every allowed-routes list of the configuration, compiled once at start:
 * master key → all; admin JWT → `admin_allowed_routes`; team JWT → `team_allowed_routes`, else `allowed_routes`,
 * else openai + info; viewer and internal-user JWTs → their fixed lists (route-groups.ts);
 * virtual key → openai + info, or its own `allowed_routes`; a key of a user with a role → that role's routes (a
 * `proxy_admin`'s: all), within its own `allowed_routes` when it has them. An invalid entry in the config stops the
 * start.
 */
@Injectable()
export class RoutePolicies {
  readonly master = new RoutePolicy('master', null);
  readonly adminJwt: RoutePolicy;
  readonly teamJwt: RoutePolicy;
  readonly viewerJwt = new RoutePolicy('proxy_admin_viewer', RouteMatcher.compile(VIEWER_ROUTES).matcher);
  readonly internalUserJwt = new RoutePolicy('internal_user', RouteMatcher.compile(INTERNAL_USER_ROUTES).matcher);
  readonly virtualKey: RoutePolicy;
  /** A key of a `proxy_admin` user: everything, as the master key (LiteLLM's admins skip the route checks). */
  readonly adminKey = new RoutePolicy('admin', null);
  readonly internalUserViewer = new RoutePolicy(
    'internal_user_viewer',
    RouteMatcher.compile(INTERNAL_USER_VIEWER_ROUTES).matcher,
  );
  /** JWT roles with routes their scopes add (`scope_mappings[].routes`): one policy per role and distinct list. */
  private readonly scopedPolicies = boundedLru<string, RoutePolicy>(1000);
  private readonly lists: Readonly<Record<string, readonly string[]>>;
  /** Keys with their own `allowed_routes`: one compiled policy per distinct list. */
  private readonly keyPolicies = boundedLru<string, RoutePolicy>(1000);

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    const file = config.configFile ?? '(no config file)';
    this.adminJwt = new RoutePolicy(
      'admin',
      compileOrThrow(
        // An admin credential may always read /metrics when it is not public.
        config.metrics.requireAuth ? [...config.jwt.adminAllowedRoutes, '/metrics'] : config.jwt.adminAllowedRoutes,
        file,
        'general_settings.litellm_jwtauth.admin_allowed_routes',
      ),
    );
    const teamRoutes = teamJwtRoutes(config);
    this.teamJwt = new RoutePolicy(
      'team',
      compileOrThrow(
        teamRoutes,
        file,
        config.jwt.teamAllowedRoutes
          ? 'general_settings.litellm_jwtauth.team_allowed_routes'
          : 'general_settings.allowed_routes',
      ),
    );
    this.lists = {
      admin: config.jwt.adminAllowedRoutes,
      team: teamRoutes,
      proxy_admin_viewer: VIEWER_ROUTES,
      internal_user: INTERNAL_USER_ROUTES,
    };
    this.virtualKey = new RoutePolicy('virtual_key', RouteMatcher.compile(DEFAULT_CALLER_ROUTES).matcher);
  }

  /** The policy of a JWT of this role; `extraRoutes`: routes its scopes grant beside the role's own. */
  forJwt(
    role: 'admin' | 'proxy_admin_viewer' | 'internal_user' | 'team',
    extraRoutes: readonly string[] = [],
  ): RoutePolicy {
    const base =
      role === 'admin'
        ? this.adminJwt
        : role === 'proxy_admin_viewer'
          ? this.viewerJwt
          : role === 'internal_user'
            ? this.internalUserJwt
            : this.teamJwt;
    if (extraRoutes.length === 0) return base;
    const id = `${role}:${JSON.stringify(extraRoutes)}`;
    let policy = this.scopedPolicies.get(id);
    if (!policy) {
      policy = new RoutePolicy(role, RouteMatcher.compile([...this.lists[role], ...extraRoutes]).matcher);
      this.scopedPolicies.set(id, policy);
    }
    return policy;
  }

  /**
   * The policy of a virtual key: the default one, or its own list (invalid entries in it match nothing). A key acting
   * with its user's role gets that role's routes, and with a list of its own only those in both: never more than either.
   */
  forKey(allowedRoutes: readonly string[], role: CallerRole = 'virtual_key'): RoutePolicy {
    const base = this.ofKeyRole(role);
    if (allowedRoutes.length === 0) return base;
    const list = JSON.stringify(allowedRoutes); // unambiguous, unlike a join: ["/a\n/b"] and ["/a", "/b"] differ
    const id = role === 'virtual_key' ? list : `${role}:${list}`;
    let policy = this.keyPolicies.get(id);
    if (!policy) {
      const own = new RoutePolicy(role, RouteMatcher.compile(allowedRoutes).matcher);
      policy = role === 'virtual_key' ? own : new BothPolicies(role, base, own);
      this.keyPolicies.set(id, policy);
    }
    return policy;
  }

  private ofKeyRole(role: CallerRole): RoutePolicy {
    switch (role) {
      case 'admin':
        return this.adminKey;
      case 'proxy_admin_viewer':
        return this.viewerJwt;
      case 'internal_user':
        return this.internalUserJwt;
      case 'internal_user_viewer':
        return this.internalUserViewer;
      default:
        return this.virtualKey;
    }
  }
}

function compileOrThrow(entries: readonly string[], file: string, keyPath: string): RouteMatcher {
  const { matcher, invalid } = RouteMatcher.compile(entries);
  const problem = describeInvalidRoutes(invalid);
  if (problem) throw new ConfigError(file, keyPath, problem);
  return matcher;
}
