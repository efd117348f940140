import { ROUTE_GROUPS, ROUTE_GROUP_NAMES, isRouteGroupName } from '../route-groups';

const AZURE_FORM = /^\/openai(?:\/v1)?\/deployments\/[^/]+(\/.+)$/;
/** Azure clients' forms that name the model in the body: `/openai/...` and the v1 API's `/openai/v1/...`. */
const AZURE_BODY_FORM = /^\/openai(?:\/v1)?(\/(?!deployments\/).+)$/;
const PARAM = /\/(?:\{[^/}]+\}|:[^/]+)(?=\/|$)/g;
/** An Azure deployment path: `/openai[/v1]/deployments/<deployment or parameter>/...`. */
const DEPLOYMENT_ENTRY = /^\/openai(?:\/v1)?\/deployments\/([^/]+)(\/.+)$/;
const PARAM_SEGMENT = /^(?:\{[^/}]+\}|:.+)$/;

/** What an Azure-path entry naming one deployment allows: that deployment's routes, by plain form or `prefix*`. */
interface DeploymentGrant {
  readonly deployment: string;
  /** The operation's plain form (`/chat/completions`), or a prefix of it when `wildcard`. */
  readonly rest: string;
  readonly wildcard: boolean;
}

/**
 * A route's plain form: without a trailing slash, without the `/v1` prefix, with the Azure forms
 * `/openai[/v1]/deployments/{model}/...`, `/openai/...` and `/openai/v1/...` reduced to their plain route, and every parameter segment (`{key}` in the
 * route-group table, `:key` in a registered route pattern) written `/:`. Works on paths and route patterns.
 */
export function plainRoute(path: string): string {
  let p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  if (p.startsWith('/v1/')) p = p.slice(3);
  if (p.startsWith('/openai/')) {
    const azure = AZURE_FORM.exec(p) ?? AZURE_BODY_FORM.exec(p);
    if (azure) p = azure[1];
  }
  return p.includes(':') || p.includes('{') ? p.replace(PARAM, '/:') : p;
}

/** A compiled allowed-routes list. Compiled once (at start, or once per distinct key list), then only queried. */
export class RouteMatcher {
  private constructor(
    /** Plain forms of the literal paths and of every route of the named groups. */
    private readonly literals: ReadonlySet<string>,
    /** `prefix*` entries, compared with the route as registered and with its plain form. */
    private readonly prefixes: readonly string[],
    /** The entries as written, for messages. */
    readonly entries: readonly string[],
    /** Azure-path entries naming one deployment: they allow the Azure route for that deployment only. */
    private readonly deployments: readonly DeploymentGrant[],
  ) {}

  /** Whether some entry allows a route only for one deployment, so a refusal by route alone is not the last word. */
  get namesDeployments(): boolean {
    return this.deployments.length > 0;
  }

  /**
   * Compiles a list of group names, literal paths and `prefix*` wildcards. Entries that are none of these
   * (an unknown group name) are returned in `invalid` and match nothing: a typo never widens access.
   */
  static compile(entries: readonly string[]): { matcher: RouteMatcher; invalid: string[] } {
    const literals = new Set<string>();
    const prefixes: string[] = [];
    const invalid: string[] = [];
    const deployments: DeploymentGrant[] = [];
    for (const raw of entries) {
      const entry = raw.trim();
      if (NOT_IN_A_PATH.test(entry) || entry.includes('?') || entry.includes('#')) {
        invalid.push(raw); // whitespace, a control character or a query: no route path holds one
        continue;
      }
      const grant = deploymentGrant(entry);
      if (grant === 'invalid') {
        invalid.push(raw); // never read as the plain route, which would allow every model
      } else if (grant) {
        deployments.push(grant);
      } else if (isRouteGroupName(entry)) {
        for (const route of ROUTE_GROUPS[entry]) literals.add(plainRoute(route));
      } else if (entry.endsWith('*') && (entry === '*' || entry.startsWith('/'))) {
        const prefix = entry.slice(0, -1);
        const deployment = PARTIAL_DEPLOYMENT.exec(prefix);
        // `/openai/deployments/gpt*`: a deployment name is compared whole, so this would match nothing.
        if (deployment && deployment[1] !== '') invalid.push(raw);
        else prefixes.push(prefix.includes('{') || prefix.includes(':') ? prefix.replace(PARAM, '/:') : prefix);
      } else if (entry.startsWith('/') && !entry.includes('*')) {
        literals.add(plainRoute(entry));
      } else {
        invalid.push(raw);
      }
    }
    return { matcher: new RouteMatcher(literals, prefixes, entries, deployments), invalid };
  }

  /** `route` is a registered route pattern (`/openai/deployments/:model/embeddings`) or a path. */
  matches(route: string): boolean {
    const plain = plainRoute(route);
    if (this.literals.has(plain)) return true;
    if (this.prefixes.length === 0) return false;
    // A prefix with a parameter (`/openai/deployments/{model}/*`) is compared with the route's parameters as `/:`.
    const params = route.includes(':') ? route.replace(PARAM, '/:') : route;
    for (const prefix of this.prefixes)
      if (route.startsWith(prefix) || plain.startsWith(prefix) || params.startsWith(prefix)) return true;
    return false;
  }

  /**
   * Whether an entry naming `deployment` allows `route`, an Azure deployment route
   * (`/openai/deployments/:model/...`, the path's deployment being `deployment`, as decoded for the handler).
   */
  matchesDeployment(route: string, deployment: string): boolean {
    if (!AZURE_ROUTE.test(route)) return false;
    const plain = plainRoute(route);
    for (const g of this.deployments) {
      if (g.deployment === deployment && (g.wildcard ? plain.startsWith(g.rest) : plain === g.rest)) return true;
    }
    return false;
  }
}

const AZURE_ROUTE = /^\/openai(?:\/v1)?\/deployments\/:[^/]+\//;
/** A wildcard prefix ending inside the deployment segment: its partial name in [1]. */
const PARTIAL_DEPLOYMENT = /^(?:\/v1)?\/openai(?:\/v1)?\/deployments\/([^/]*)$/;

/**
 * An entry naming one Azure deployment (`/openai/deployments/gpt-4o/chat/completions`, or `.../gpt-4o/*`): it allows
 * that deployment's route, not the route of every model. Null for any other entry (`{model}` / `:model` included);
 * 'invalid' for one that names a deployment unreadably. The name is compared decoded, as the handler receives it.
 */
function deploymentGrant(entry: string): DeploymentGrant | 'invalid' | null {
  let p = entry.length > 1 && entry.endsWith('/') ? entry.slice(0, -1) : entry;
  if (p.startsWith('/v1/')) p = p.slice(3);
  const m = DEPLOYMENT_ENTRY.exec(p);
  if (!m || PARAM_SEGMENT.test(m[1])) return null;
  const wildcard = m[2].endsWith('*');
  const rest = wildcard ? m[2].slice(0, -1) : m[2];
  if (m[1].includes('*') || rest.includes('*')) return 'invalid';
  try {
    return { deployment: decodeURIComponent(m[1]), rest: wildcard ? rest : plainRoute(rest), wildcard };
  } catch {
    return 'invalid';
  }
}

/** Why an allowed-routes entry is refused, or null when every entry is valid. For config and key validation. */
const NOT_IN_A_PATH = /[\u0000-\u0020\u007f]/;

export function describeInvalidRoutes(invalid: readonly string[]): string | null {
  if (invalid.length === 0) return null;
  const list = invalid.map((e) => JSON.stringify(e)).join(', ');
  return `${list}: not a route group (${ROUTE_GROUP_NAMES.join(', ')}), a path starting with "/" (no query string), or a "/prefix*" wildcard (a deployment is named whole: "/openai/deployments/gpt-4o/*", not "/openai/deployments/gpt*")`;
}

/** Validates an allowed-routes list (e.g. a virtual key's `allowed_routes` before it is stored). */
export function validateRouteList(entries: readonly string[]): string | null {
  return describeInvalidRoutes(RouteMatcher.compile(entries).invalid);
}
