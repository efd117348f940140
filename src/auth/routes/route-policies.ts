import { Inject, Injectable } from '@nestjs/common';
import { boundedLru } from '../../common/cache/bounded-lru';
import { ConfigError } from '../../config/config.error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { DEFAULT_CALLER_ROUTES } from '../route-groups';
import { RouteMatcher, describeInvalidRoutes } from './route-matcher';
import { RoutePolicy } from './route-policy';

/**
 * Every allowed-routes list of the configuration, compiled once at start:
 * master key → all; admin JWT → `admin_allowed_routes`; team JWT → `allowed_routes` or openai + info;
 * virtual key → openai + info, or its own `allowed_routes`. An invalid entry in the config stops the start.
 */
@Injectable()
export class RoutePolicies {
  readonly master = new RoutePolicy('master', null);
  readonly adminJwt: RoutePolicy;
  readonly teamJwt: RoutePolicy;
  readonly virtualKey: RoutePolicy;
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
    this.teamJwt = new RoutePolicy(
      'team',
      compileOrThrow(config.allowedRoutes ?? DEFAULT_CALLER_ROUTES, file, 'general_settings.allowed_routes'),
    );
    this.virtualKey = new RoutePolicy('virtual_key', RouteMatcher.compile(DEFAULT_CALLER_ROUTES).matcher);
  }

  /** The policy of a virtual key: the default one, or its own list (invalid entries in it match nothing). */
  forKey(allowedRoutes: readonly string[]): RoutePolicy {
    if (allowedRoutes.length === 0) return this.virtualKey;
    const id = JSON.stringify(allowedRoutes); // unambiguous, unlike a join: ["/a\n/b"] and ["/a", "/b"] differ
    let policy = this.keyPolicies.get(id);
    if (!policy) {
      policy = new RoutePolicy('virtual_key', RouteMatcher.compile(allowedRoutes).matcher);
      this.keyPolicies.set(id, policy);
    }
    return policy;
  }
}

function compileOrThrow(entries: readonly string[], file: string, keyPath: string): RouteMatcher {
  const { matcher, invalid } = RouteMatcher.compile(entries);
  const problem = describeInvalidRoutes(invalid);
  if (problem) throw new ConfigError(file, keyPath, problem);
  return matcher;
}
