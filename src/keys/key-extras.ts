/**
 * The LiteLLM key fields with effect, read once when a key is cached (from its `extra` column):
 *  - `aliases`: a model name the key may send -> the model group it calls;
 *  - `model_max_budget`: a budget per model group (USD; `{budget_limit}` or `{max_budget}`, LiteLLM's two spellings);
 *  - `model_rpm_limit` / `model_tpm_limit`: limits per model group for this key;
 *  - `tags`: recorded on each call's report (spend logs), with the request's `metadata.tags`.
 */
export interface KeyExtras {
  readonly aliases: ReadonlyMap<string, string> | null;
  readonly modelMaxBudget: ReadonlyMap<string, number> | null;
  readonly modelRpm: ReadonlyMap<string, number> | null;
  readonly modelTpm: ReadonlyMap<string, number> | null;
  readonly tags: readonly string[] | null;
}

const NONE: KeyExtras = Object.freeze({
  aliases: null,
  modelMaxBudget: null,
  modelRpm: null,
  modelTpm: null,
  tags: null,
});

export function keyExtras(extra: unknown): KeyExtras {
  if (!extra || typeof extra !== 'object') return NONE;
  const e = extra as Record<string, unknown>;
  if (!e.aliases && !e.model_max_budget && !e.model_rpm_limit && !e.model_tpm_limit && !e.tags) return NONE;
  return Object.freeze({
    aliases: mapOf(e.aliases, (v) => (typeof v === 'string' ? v : undefined)),
    modelMaxBudget: mapOf(e.model_max_budget, (v) =>
      typeof v === 'number'
        ? v
        : v && typeof v === 'object'
          ? amount(budgetLimitOf(v as { budget_limit?: unknown; max_budget?: unknown }))
          : undefined,
    ),
    modelRpm: mapOf(e.model_rpm_limit, (v) => (typeof v === 'number' ? v : undefined)),
    modelTpm: mapOf(e.model_tpm_limit, (v) => (typeof v === 'number' ? v : undefined)),
    tags: Array.isArray(e.tags) ? Object.freeze(e.tags.filter((t): t is string => typeof t === 'string')) : null,
  });
}

/** LiteLLM reads `budget_limit` as `max_budget` (its BudgetConfig): a budget's model_max_budget uses the latter. */
function budgetLimitOf(v: { budget_limit?: unknown; max_budget?: unknown }): unknown {
  return v.budget_limit !== undefined ? v.budget_limit : v.max_budget;
}

/** A budget_limit as stored: a number, or the text of one (as LiteLLM accepts it). */
function amount(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function mapOf<T>(v: unknown, read: (x: unknown) => T | undefined): ReadonlyMap<string, T> | null {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
  const out = new Map<string, T>();
  for (const [k, x] of Object.entries(v)) {
    const value = read(x);
    if (value !== undefined) out.set(k, value);
  }
  return out.size > 0 ? out : null;
}
