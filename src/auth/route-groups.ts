import type { GatewayConfig } from '../config/gateway-config';

/**
 * The route groups: the one table every `*allowed_routes` list, the guard and the route-permission
 * snapshot use. A group name may appear in any allowed-routes list beside literal paths and `prefix*` wildcards.
 * `{name}` stands for one path segment (a deployment name, a model id, a key).
 *
 * Azure clients' `/openai/...` and `/openai/v1/...` forms of these routes count as the plain route (route-matcher.ts).
 *
 * As in LiteLLM's own groups: `/models/{model}` (OpenAI's model retrieval) is an openai
 * route, and `/key/{key}/regenerate` (LiteLLM's path form of `/key/regenerate`) a management route.
 */
export const ROUTE_GROUPS = {
  openai_routes: [
    '/chat/completions',
    '/v1/chat/completions',
    '/embeddings',
    '/v1/embeddings',
    '/models',
    '/v1/models',
    '/models/{model}',
    '/v1/models/{model}',
    '/openai/deployments/{model}/chat/completions',
    '/openai/deployments/{model}/embeddings',
    '/v1/messages',
    '/v1/messages/count_tokens',
    '/responses',
    '/v1/responses',
    '/responses/{response_id}',
    '/v1/responses/{response_id}',
    '/responses/{response_id}/input_items',
    '/v1/responses/{response_id}/input_items',
    '/responses/{response_id}/cancel',
    '/v1/responses/{response_id}/cancel',
    '/openai/deployments/{model}/responses',
    '/completions',
    '/v1/completions',
    '/openai/deployments/{model}/completions',
    '/moderations',
    '/v1/moderations',
    '/openai/deployments/{model}/moderations',
    '/images/generations',
    '/v1/images/generations',
    '/openai/deployments/{model}/images/generations',
    '/audio/speech',
    '/v1/audio/speech',
    '/openai/deployments/{model}/audio/speech',
    '/audio/transcriptions',
    '/v1/audio/transcriptions',
    '/openai/deployments/{model}/audio/transcriptions',
    '/audio/translations',
    '/v1/audio/translations',
    '/openai/deployments/{model}/audio/translations',
  ],
  info_routes: [
    '/key/info',
    '/key/health',
    '/v2/key/info',
    '/team/info',
    '/user/info',
    '/customer/info',
    '/end_user/info',
    '/model/info',
    '/v1/model/info',
    '/v2/model/info',
    '/model_group/info',
    '/health',
  ],
  management_routes: [
    '/key/generate',
    '/key/update',
    '/key/delete',
    '/key/regenerate',
    '/key/{key}/regenerate',
    '/key/list',
    '/key/block',
    '/key/unblock',
    '/team/new',
    '/team/info',
    '/team/update',
    '/team/delete',
    '/team/list',
    '/team/block',
    '/team/unblock',
    '/team/member_add',
    '/team/member_delete',
    '/team/member_update',
    '/user/new',
    '/user/info',
    '/user/update',
    '/user/delete',
    '/user/list',
    '/user/available_roles',
    '/customer/new',
    '/customer/info',
    '/customer/update',
    '/customer/delete',
    '/customer/list',
    '/customer/block',
    '/customer/unblock',
    '/end_user/new',
    '/end_user/info',
    '/end_user/update',
    '/end_user/delete',
    '/end_user/list',
    '/end_user/block',
    '/end_user/unblock',
    '/budget/new',
    '/budget/update',
    '/budget/info',
    '/budget/settings',
    '/budget/list',
    '/budget/delete',
  ],
  spend_tracking_routes: [
    '/spend/logs',
    '/spend/tags',
    '/spend/calculate',
    '/global/spend',
    '/global/spend/tags',
    '/global/spend/keys',
    '/global/spend/teams',
    '/global/spend/models',
    '/global/spend/end_users',
    '/global/spend/report',
    '/global/activity',
  ],
  public_routes: [
    '/health/liveliness',
    '/health/liveness',
    '/health/readiness',
    '/metrics',
    '/',
    '/openapi.json',
    '/docs',
    '/docs/init.js',
    '/docs/swagger-ui.css',
    '/docs/swagger-ui-bundle.js',
    '/docs/favicon-32x32.png',
    '/ui',
    '/ui/app.js',
    '/ui/app.css',
    '/ui/config.json',
  ],
} as const satisfies Record<string, readonly string[]>;

export type RouteGroupName = keyof typeof ROUTE_GROUPS;

export const ROUTE_GROUP_NAMES = Object.keys(ROUTE_GROUPS) as RouteGroupName[];

export function isRouteGroupName(name: string): name is RouteGroupName {
  return Object.prototype.hasOwnProperty.call(ROUTE_GROUPS, name);
}

/**
 * What a `proxy_admin_viewer` may call: every info, list and spend route, nothing that changes anything (LiteLLM
 * lets it read with any GET; here the read routes are named, so a new route is closed to it until listed).
 */
export const VIEWER_ROUTES: readonly string[] = [
  'info_routes',
  '/key/list',
  '/team/list',
  '/user/list',
  '/user/available_roles',
  '/customer/list',
  '/end_user/list',
  '/budget/info',
  '/budget/settings',
  '/budget/list',
  '/spend/*',
  '/global/spend',
  '/global/spend/*',
  '/global/activity',
];

/**
 * What an `internal_user` may call: models, info routes, the key routes (which reach only its own keys) and LiteLLM's
 * spend reads of its role (which answer only its own spend).
 */
export const INTERNAL_USER_ROUTES: readonly string[] = [
  'openai_routes',
  'info_routes',
  '/key/generate',
  '/key/update',
  '/key/delete',
  '/key/regenerate',
  '/key/{key}/regenerate',
  '/key/list',
  '/key/block',
  '/key/unblock',
  '/spend/logs',
  '/spend/tags',
  '/spend/calculate',
  '/global/spend/tags',
  '/global/spend/keys',
  '/global/spend/models',
  '/global/spend/end_users',
  '/global/activity',
];

/**
 * What a key of an `internal_user_viewer` may call: models, info routes, the list of its own keys and every spend
 * read (of its own spend); no change.
 */
export const INTERNAL_USER_VIEWER_ROUTES: readonly string[] = [
  'openai_routes',
  'info_routes',
  '/key/list',
  'spend_tracking_routes',
];

/** What a team JWT may call when no allowed-routes setting names its routes, and a virtual key by default. */
export const DEFAULT_CALLER_ROUTES: readonly string[] = ['openai_routes', 'info_routes'];

/** What a team JWT may call: the configured list (`GatewayConfig.allowedRoutes`), else openai + info routes. */
export function teamJwtRoutes(config: Pick<GatewayConfig, 'allowedRoutes'>): readonly string[] {
  return config.allowedRoutes ?? DEFAULT_CALLER_ROUTES;
}
