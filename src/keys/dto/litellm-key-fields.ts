import { z } from 'zod';
import { isStorableText, jsonProblem, NOT_STORABLE } from './storable';
import { limit, MAX_AMOUNT, money } from './bounded';

/**
 * LiteLLM's `/key/*` body fields beyond the key's own columns (key-fields.ts), so that every body LiteLLM documents
 * is accepted. `acts`: stored and used (see cached-key.ts); `stored`: no effect here, stored and answered back as
 * sent; `ignored`: accepted and dropped quietly. Stored ones live in the key's `extra` JSON column. A field added
 * to key-fields.ts as a column of its own takes precedence over its entry here.
 */
export type KeyFieldEffect = 'acts' | 'stored' | 'ignored';

const text = z.string().max(1024, 'is too long').refine(isStorableText, NOT_STORABLE);
/** An amount sent as text ("0.0000001"), as LiteLLM accepts it: its models read it as a number. */
const moneyText = z
  .string()
  .regex(/^\s*(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?\s*$/i, 'must be a number')
  .refine((v) => Number.isFinite(Number(v)), 'must be a number')
  .refine((v) => Number(v) <= MAX_AMOUNT, `must be at most ${MAX_AMOUNT}`);
/** Any JSON LiteLLM would keep (objects, lists, scalars), bounded in depth and storable. */
const json = z.unknown().superRefine((v, ctx) => {
  const problem = jsonProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
/** LiteLLM decodes these from a JSON string too (form-encoded clients send them so). */
const jsonText = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }, schema);
const perModel = <T extends z.ZodType>(value: T) => jsonText(z.record(text, value).nullable());

export const LITELLM_KEY_FIELDS: Readonly<Record<string, { effect: KeyFieldEffect; schema: z.ZodType }>> = {
  aliases: { effect: 'acts', schema: perModel(text) },
  model_max_budget: {
    effect: 'acts',
    schema: perModel(
      z.union([
        money,
        // `max_budget` / `budget_duration`: LiteLLM's BudgetConfig spelling of the same, as a budget holds it.
        z
          .object({
            budget_limit: z.union([money, moneyText]).optional(),
            time_period: text.optional(),
            max_budget: z.union([money, moneyText]).optional(),
            budget_duration: text.optional(),
          })
          .loose()
          .refine(
            (v) => v.budget_limit !== undefined || v.max_budget !== undefined,
            'needs budget_limit or max_budget',
          ),
      ]),
    ),
  },
  model_rpm_limit: { effect: 'acts', schema: perModel(limit) },
  model_tpm_limit: { effect: 'acts', schema: perModel(limit) },
  tags: { effect: 'acts', schema: z.array(text).max(100).nullable() },
  key_type: { effect: 'ignored', schema: z.enum(['llm_api', 'management', 'read_only', 'default']).nullable() },
  send_invite_email: { effect: 'ignored', schema: z.boolean().nullable() },
  ...Object.fromEntries(
    [
      'spend',
      'budget_limits',
      'budget_fallbacks',
      'allowed_cache_controls',
      'config',
      'permissions',
      'mcp_rpm_limit',
      'tag_rpm_limit',
      'guardrails',
      'policies',
      'prompts',
      'object_permission',
      'agent_id',
      'enforced_params',
      'allowed_passthrough_routes',
      'allowed_vector_store_indexes',
      'rpm_limit_type',
      'tpm_limit_type',
      'router_settings',
      'access_group_ids',
      'default_estimated_output_tokens',
      'default_estimated_output_tokens_per_model',
      'disable_global_guardrails',
      'enable_prompt_caching',
      'throttle_on_budget_exceeded',
      'auto_rotate',
      'rotation_interval',
      'organization_id',
      'project_id',
      'temp_budget_increase',
      'temp_budget_expiry',
      'grace_period',
      'new_master_key',
    ].map((name) => [name, { effect: 'stored' as const, schema: json }]),
  ),
};

/** The zod shape of the fields above, each optional, for the strict request schemas. */
export const litellmKeyShape: Record<string, z.ZodOptional<z.ZodType>> = Object.fromEntries(
  Object.entries(LITELLM_KEY_FIELDS).map(([name, f]) => [name, f.schema.optional()]),
);

/**
 * The request's fields to keep in `extra` (those of this table that are not ignored and have no column), or
 * undefined when it has none. A null value removes the field.
 */
export function extraFields(body: Record<string, unknown>, columns: object): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const [name, f] of Object.entries(LITELLM_KEY_FIELDS)) {
    if (f.effect === 'ignored' || name in columns || body[name] === undefined) continue;
    (out ??= {})[name] = body[name];
  }
  return out;
}
