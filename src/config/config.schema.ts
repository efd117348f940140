import { validateRouteList } from '../auth/routes/route-matcher';
import { z } from 'zod';
import { providerFor } from '../proxy/providers/provider-registry';
import { splitModel } from './config.util';
import { trustProxyEntryProblem } from './trust-proxy';
import { uiOidcSchema } from './ui-oidc';

/**
 * The LiteLLM-compatible config file, as validated: the settings the gateway implements. Other keys were checked
 * against LiteLLM's settings table (litellm-settings.ts) and removed before this schema sees the file.
 */
const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
/** A period as LiteLLM writes it: `30s`, `15m`, `24h`, `30d`, `2w`. */
const period = z.string().regex(/^\d{1,6}(s|m|h|d|w)$/, 'must be a number and a unit: s, m, h, d or w (e.g. "30d")');
/** A retention period: a period, or calendar months (`1mo`), as LiteLLM's duration parser takes it. */
const retention = z
  .string()
  .regex(/^\d{1,6}(s|m|h|d|w|mo)$/, 'must be a number and a unit: s, m, h, d, w or mo (e.g. "30d")');
/** Route entries: paths, `prefix*` or group names, checked as key `allowed_routes` are (one clear line at start). */
const routeList = z.array(z.string().min(1)).superRefine((entries, ctx) => {
  const problem = validateRouteList(entries);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const litellmParams = z
  .object({
    model: z
      .string({ error: 'is required (provider/name, e.g. azure/my-deployment or openai/gpt-4o)' })
      .min(1, 'is required'),
    custom_llm_provider: z.string().min(1).optional(),
    // Not a URL (a docs placeholder such as <your-azure-endpoint>): the deployment is unavailable (deployments.ts).
    api_base: z.string().optional(),
    api_key: z.string().optional(),
    api_version: z.string().optional(),
    rpm: positive.optional(),
    tpm: positive.optional(),
    weight: positive.optional(),
    timeout: positive.optional(),
    stream_timeout: positive.optional(),
    max_retries: nonNegative.optional(),
    // A list: one deployment per organization, as LiteLLM expands it.
    organization: z.union([z.string(), z.array(z.string().min(1)).min(1)]).optional(),
    /** Microsoft Entra ID for azure/: a fixed token, or an app registration's client credentials. */
    azure_ad_token: z.string().min(1).optional(),
    tenant_id: z.string().min(1).optional(),
    client_id: z.string().min(1).optional(),
    client_secret: z.string().min(1).optional(),
    drop_params: z.boolean().optional(),
    /** Tag-based routing (router_settings.enable_tag_filtering): the tags this deployment serves. */
    tags: z.array(z.string().min(1)).optional(),
    input_cost_per_token: nonNegative.optional(),
    output_cost_per_token: nonNegative.optional(),
  })
  .strict();

const modelInfo = z
  .object({
    id: z.string().optional(),
    input_cost_per_token: nonNegative.optional(),
    output_cost_per_token: nonNegative.optional(),
    mode: z.string().optional(),
    base_model: z.string().optional(),
    max_output_tokens: z.number().int().positive().optional(),
  })
  .strict();

export const deploymentSchema = z
  .object({
    model_name: z.string({ error: 'is required' }).min(1, 'is required'),
    litellm_params: litellmParams,
    model_info: modelInfo.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    // Each provider's own rules (azure/ and hosted_vllm/ need api_base, ...) live with the provider.
    const p = d.litellm_params;
    const problem = providerFor(splitModel(p.model, p.custom_llm_provider).provider)?.configProblem?.(p);
    if (problem) ctx.addIssue({ code: 'custom', path: ['litellm_params', problem.key], message: problem.message });
  });

export const jwtAuthSchema = z
  .object({
    admin_jwt_scope: z.string().min(1).default('litellm_proxy_admin'),
    team_id_jwt_field: z.string().min(1).default('client_id'),
    user_id_jwt_field: z.string().min(1).default('sub'),
    admin_allowed_routes: routeList.default(['management_routes', 'info_routes', 'spend_tracking_routes']),
    public_key_ttl: nonNegative.default(600),
    /** Gateway extension: seconds past public_key_ttl that known keys keep verifying while the provider is unreachable. */
    public_key_stale_ttl: nonNegative.default(3600),
    audience: z.union([z.string(), z.array(z.string())]).optional(),
    issuer: z.union([z.string(), z.array(z.string())]).optional(),
    leeway: nonNegative.default(0),
    public_key_url: z.union([z.string(), z.array(z.string())]).optional(),
    /** Providers by issuer: tokens claiming `issuer` are verified only with the keys of its `jwks_url`. */
    issuers: z
      .array(
        z
          .object({
            issuer: z.string().min(1),
            jwks_url: z
              .string()
              .regex(/^https?:\/\//i, 'must be an http(s) URL')
              .optional(),
            audience: z.union([z.string().min(1), z.array(z.string().min(1))]).optional(),
          })
          .strict(),
      )
      .optional(),
    team_ids_jwt_field: z.string().min(1).optional(),
    team_id_default: z.string().min(1).optional(),
    /** Gateway default true (LiteLLM's is false): a team seen in a valid JWT is created on first use. */
    team_id_upsert: z.boolean().default(true),
    team_allowed_routes: routeList.optional(),
    user_id_upsert: z.boolean().default(false),
    user_email_jwt_field: z.string().min(1).optional(),
    user_allowed_email_domain: z.string().min(1).optional(),
    user_roles_jwt_field: z.string().min(1).optional(),
    user_allowed_roles: z.array(z.string().min(1)).optional(),
    roles_jwt_field: z.string().min(1).optional(),
    role_mappings: z
      .array(
        z
          .object({
            role: z.string().min(1),
            internal_role: z.enum(['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'team']),
          })
          .strict(),
      )
      .optional(),
    scope_mappings: z
      .array(
        z
          .object({
            scope: z.string().min(1),
            models: z.array(z.string().min(1)).optional(),
            routes: routeList.optional(),
          })
          .strict(),
      )
      .optional(),
    enforce_scope_based_access: z.boolean().default(false),
    enforce_team_based_model_access: z.boolean().default(false),
    end_user_id_jwt_field: z.string().min(1).optional(),
  })
  .strict()
  .refine((j) => (j.user_roles_jwt_field === undefined) === (j.user_allowed_roles === undefined), {
    message: 'user_roles_jwt_field and user_allowed_roles go together: give both or neither',
    path: ['user_allowed_roles'],
  })
  .refine((j) => j.scope_mappings === undefined || j.enforce_scope_based_access, {
    message: 'scope_mappings needs enforce_scope_based_access: true',
    path: ['scope_mappings'],
  });

const generalSettings = z
  .object({
    master_key: z.string().min(1).optional(),
    enable_jwt_auth: z.boolean().default(false),
    allowed_routes: routeList.optional(),
    litellm_jwtauth: jwtAuthSchema.default(() => jwtAuthSchema.parse({})),
    database_url: z.string().optional(),
    max_request_size_mb: positive.optional(),
    /** Seconds between spend writes to the database (LiteLLM's key; its default is 10, the gateway's 1). */
    proxy_batch_write_at: z.number().min(0.1, 'must be at least 0.1 (seconds)').max(3600).optional(),
    /** Most PostgreSQL connections the gateway's pool opens; read leniently, as LiteLLM does (database-url.ts). */
    database_connection_pool_limit: z.unknown().optional(),
    /** Seconds a query waits for a pool connection (LiteLLM's key, and its older `database_connection_pool_timeout`). */
    database_connection_timeout: z.unknown().optional(),
    database_connection_pool_timeout: z.unknown().optional(),
    /** Seconds between reads of the change logs (LiteLLM's key; its default is 60, the gateway's 30). */
    user_api_key_cache_ttl: z.number().min(0.1, 'must be at least 0.1 (seconds)').max(86400).optional(),
    /** Most virtual keys held in memory (the gateway's own setting): all of them fit, and unknown keys cost nothing. */
    key_cache_max_keys: z.number().int().min(1).max(100_000_000).optional(),
    /** Most keys held parsed at once (the gateway's own setting); the others are kept as read and parsed on use. */
    key_cache_max_parsed_keys: z.number().int().min(1).max(100_000_000).optional(),
    /** Failed credentials per client address and minute before 429 (the gateway's own setting); 0: no limit. */
    max_auth_failures_per_minute: z.number().int().min(0).optional(),
    /** Which proxies' X-Forwarded-For names the client (the gateway's own setting; Fastify's `trustProxy`). */
    trust_proxy: z
      .union([z.boolean(), z.string().min(1), z.array(z.string().min(1)).min(1)])
      .superRefine((v, ctx) => {
        if (typeof v === 'boolean') return;
        for (const entry of typeof v === 'string' ? v.split(',') : v) {
          const problem = trustProxyEntryProblem(entry);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }
      })
      .optional(),
    /** No spend log rows (spend totals are still kept). */
    disable_spend_logs: z.boolean().default(false),
    /** Spend log rows older than this are deleted; unset: kept for ever. */
    maximum_spend_logs_retention_period: retention.optional(),
    /** How often the deletion runs (LiteLLM's default: daily). */
    maximum_spend_logs_retention_interval: period.optional(),
    /** Calls do not reserve their worst case against budgets and tpm limits (LiteLLM's key). */
    disable_budget_reservation: z.boolean().default(false),
    /** Gateway extension: admin UI sign-in through the OpenID provider (ui-oidc.ts). */
    ui_oidc: uiOidcSchema.optional(),
  })
  .strict();

export const ROUTING_STRATEGIES = [
  'simple-shuffle',
  'least-busy',
  'usage-based-routing',
  'usage-based-routing-v2',
  'latency-based-routing',
  'cost-based-routing',
] as const;
export type RoutingStrategy = (typeof ROUTING_STRATEGIES)[number];

const fallbackList = z.array(z.record(z.string(), z.array(z.string())));
const redisPort = z.union([z.number().int().positive(), z.string().regex(/^\d+$/, 'must be a port number')]);

const routerSettings = z
  .object({
    routing_strategy: z.enum(ROUTING_STRATEGIES).default('simple-shuffle'),
    routing_strategy_args: z
      .object({ ttl: positive.optional(), lowest_latency_buffer: nonNegative.optional() })
      .loose()
      .optional(),
    num_retries: z.number().int().nonnegative().optional(),
    allowed_fails: z.number().int().positive().default(3),
    cooldown_time: nonNegative.default(5),
    disable_cooldowns: z.boolean().default(false),
    enable_tag_filtering: z.boolean().default(false),
    tag_filtering_match_any: z.boolean().default(true),
    timeout: positive.optional(),
    stream_timeout: positive.optional(),
    fallbacks: fallbackList.default([]),
    default_fallbacks: z.array(z.string()).optional(),
    context_window_fallbacks: fallbackList.optional(),
    content_policy_fallbacks: fallbackList.optional(),
    model_group_alias: z
      .record(z.string(), z.union([z.string(), z.object({ model: z.string(), hidden: z.boolean().optional() })]))
      .default({}),
    redis_host: z.string().min(1).optional(),
    redis_port: redisPort.optional(),
    redis_password: z.string().optional(),
    redis_url: z.string().min(1).optional(),
    redis_db: z.number().int().nonnegative().optional(),
  })
  .strict();

const litellmSettings = z
  .object({
    num_retries: z.number().int().nonnegative().optional(),
    request_timeout: positive.optional(),
    drop_params: z.boolean().default(false),
    fallbacks: fallbackList.default([]),
    default_fallbacks: z.array(z.string()).optional(),
    context_window_fallbacks: fallbackList.default([]),
    content_policy_fallbacks: fallbackList.default([]),
    json_logs: z.boolean().default(false),
    set_verbose: z.boolean().default(false),
    cache_params: z
      .object({ host: z.string().min(1).optional(), port: redisPort.optional(), password: z.string().optional() })
      .strict()
      .optional(),
    /** `/metrics` needs an admin credential, and then names keys, teams and users in its labels. */
    require_auth_for_metrics_endpoint: z.boolean().default(false),
  })
  .strict();

export const fileSchema = z
  .object({
    model_list: z.array(deploymentSchema).default([]),
    general_settings: generalSettings.default(() => generalSettings.parse({})),
    router_settings: routerSettings.default(() => routerSettings.parse({})),
    litellm_settings: litellmSettings.default(() => litellmSettings.parse({})),
  })
  .strict();

export type FileConfig = z.infer<typeof fileSchema>;
