import { validateRouteList } from '../auth/routes/route-matcher';
import { z } from 'zod';

/**
 * The LiteLLM-compatible config file, as validated. Objects are strict: unknown keys are reported by the
 * loader (a warning and ignored everywhere, except under `litellm_jwtauth` where they stop the start).
 */
const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
/** Route entries: paths, `prefix*` or group names, checked as key `allowed_routes` are (one clear line at start). */
const routeList = z.array(z.string().min(1)).superRefine((entries, ctx) => {
  const problem = validateRouteList(entries);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const PROVIDERS = ['azure', 'openai'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

const litellmParams = z
  .object({
    model: z
      .string({ error: 'is required (provider/name, e.g. azure/my-deployment or openai/gpt-4o)' })
      .min(1, 'is required')
      .refine((m) => m.includes('/') && PROVIDERS.includes(m.slice(0, m.indexOf('/')) as ProviderName), {
        error: `must be <provider>/<name> with provider one of: ${PROVIDERS.join(', ')}`,
      })
      .refine((m) => m.indexOf('/') < m.length - 1, { error: 'has no name after the provider prefix' }),
    api_base: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    api_key: z.string().optional(),
    api_version: z.string().optional(),
    rpm: positive.optional(),
    tpm: positive.optional(),
    weight: positive.optional(),
    timeout: positive.optional(),
    stream_timeout: positive.optional(),
    max_retries: nonNegative.optional(),
    organization: z.string().optional(),
  })
  .strict();

const modelInfo = z
  .object({
    id: z.string().optional(),
    input_cost_per_token: nonNegative.optional(),
    output_cost_per_token: nonNegative.optional(),
    mode: z.string().optional(),
    base_model: z.string().optional(),
  })
  .strict();

export const deploymentSchema = z
  .object({
    model_name: z.string({ error: 'is required' }).min(1, 'is required'),
    litellm_params: litellmParams,
    model_info: modelInfo.optional(),
  })
  .strict();

export const jwtAuthSchema = z
  .object({
    admin_jwt_scope: z.string().min(1).default('litellm_proxy_admin'),
    team_id_jwt_field: z.string().min(1).default('client_id'),
    user_id_jwt_field: z.string().min(1).default('sub'),
    admin_allowed_routes: routeList.default(['management_routes', 'info_routes']),
    public_key_ttl: nonNegative.default(600),
    /** Gateway extension: seconds past public_key_ttl that known keys keep verifying while the provider is unreachable. */
    public_key_stale_ttl: nonNegative.default(3600),
    audience: z.union([z.string(), z.array(z.string())]).optional(),
    issuer: z.union([z.string(), z.array(z.string())]).optional(),
    leeway: nonNegative.default(0),
  })
  .strict();

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
    /** Seconds between re-reads of each cached virtual key (LiteLLM's key; its default is 60, the gateway's 30). */
    user_api_key_cache_ttl: z.number().min(0.1, 'must be at least 0.1 (seconds)').max(86400).optional(),
  })
  .strict();

const routerSettings = z
  .object({
    routing_strategy: z.enum(['simple-shuffle']).default('simple-shuffle'),
    num_retries: z.number().int().nonnegative().default(2),
    allowed_fails: z.number().int().positive().default(3),
    cooldown_time: nonNegative.default(5),
    timeout: positive.default(600),
    fallbacks: z.array(z.record(z.string(), z.array(z.string()))).default([]),
  })
  .strict();

export const fileSchema = z
  .object({
    model_list: z.array(deploymentSchema).default([]),
    general_settings: generalSettings.default(() => generalSettings.parse({})),
    router_settings: routerSettings.default(() => routerSettings.parse({})),
  })
  .strict();

export type FileConfig = z.infer<typeof fileSchema>;
