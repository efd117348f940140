import type { CallerRole } from '../caller';
import type { RouteMatcher } from './route-matcher';

/** Bound on remembered decisions per policy: routes are a small fixed set; this only guards odd fallbacks. */
const MAX_DECISIONS = 4096;

/**
 * What one kind of caller may call. The first request to a route computes the answer from the compiled list;
 * later requests to the same route are a single map lookup (no string matching on the hot path).
 */
export class RoutePolicy {
  private readonly decisions = new Map<string, boolean>();

  constructor(
    readonly role: CallerRole,
    /** null: every route (the master key). */
    private readonly matcher: RouteMatcher | null,
  ) {}

  /**
   * `route`: the registered route pattern (Fastify's `routeOptions.url`); `deployment`: an Azure deployment route's
   * deployment (its `:model`), which an entry naming one deployment allows alone. The remembered decision is by
   * pattern; a deployment is looked at only when the pattern alone is refused.
   */
  allows(route: string, deployment?: string): boolean {
    if (this.matcher === null) return true;
    let allowed = this.decisions.get(route);
    if (allowed === undefined) {
      allowed = this.matcher.matches(route);
      if (this.decisions.size < MAX_DECISIONS) this.decisions.set(route, allowed);
    }
    if (allowed || deployment === undefined || !this.matcher.namesDeployments) return allowed;
    return this.matcher.matchesDeployment(route, deployment);
  }

  /** The allowed-routes list as configured, for refusal messages. */
  describe(): string {
    return this.matcher === null ? 'all routes' : this.matcher.entries.join(', ') || 'no routes';
  }
}

/** Only the routes both policies allow: a key acting with its user's role, within its own `allowed_routes`. */
export class BothPolicies extends RoutePolicy {
  constructor(
    role: CallerRole,
    private readonly first: RoutePolicy,
    private readonly second: RoutePolicy,
  ) {
    super(role, null);
  }

  override allows(route: string, deployment?: string): boolean {
    return this.first.allows(route, deployment) && this.second.allows(route, deployment);
  }

  override describe(): string {
    return `${this.first.describe()}; within the key's own allowed_routes: ${this.second.describe()}`;
  }
}
