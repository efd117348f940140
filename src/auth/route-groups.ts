/**
 * The route groups (SPEC §4): the one table every `*allowed_routes` list, the guard and the route-permission
 * snapshot use. A group name may appear in any allowed-routes list beside literal paths and `prefix*` wildcards.
 * `{model}` stands for any deployment name in the Azure form.
 */
export const ROUTE_GROUPS = {
  openai_routes: [
    '/chat/completions',
    '/v1/chat/completions',
    '/embeddings',
    '/v1/embeddings',
    '/models',
    '/v1/models',
    '/openai/deployments/{model}/chat/completions',
    '/openai/deployments/{model}/embeddings',
  ],
  info_routes: ['/key/info', '/model/info', '/v1/model/info', '/health'],
  management_routes: ['/key/generate', '/key/update', '/key/delete', '/key/regenerate', '/key/list', '/key/block', '/key/unblock'],
  public_routes: ['/health/liveliness', '/health/liveness', '/health/readiness', '/metrics'],
} as const satisfies Record<string, readonly string[]>;

export type RouteGroupName = keyof typeof ROUTE_GROUPS;

export const ROUTE_GROUP_NAMES = Object.keys(ROUTE_GROUPS) as RouteGroupName[];

export function isRouteGroupName(name: string): name is RouteGroupName {
  return Object.prototype.hasOwnProperty.call(ROUTE_GROUPS, name);
}

/** What a project JWT may call when `general_settings.allowed_routes` is not set, and a virtual key by default. */
export const DEFAULT_CALLER_ROUTES: readonly string[] = ['openai_routes', 'info_routes'];
