import type { Budget } from '../generated/prisma/client';
import { toBudgetView } from './budgets/budget-view';
import { MODEL_MAX_BUDGET, ownLimit } from './budgets/key-budget';
import type { KeyRow } from './keys.repository';

/**
 * A key in LiteLLM's field names, as every management answer shows it: its own limits (those it takes from its
 * budget are null, as LiteLLM answers them, beside `budget_id`). Never holds the secret.
 */
export interface KeyView {
  /** LiteLLM fields kept as sent (`extra`), answered back beside the columns. */
  [field: string]: unknown;
  token: string;
  key_alias: string | null;
  key_name: string;
  models: string[];
  spend: number;
  max_budget: number | null;
  soft_budget: number | null;
  soft_budget_cooldown: boolean;
  budget_duration: string | null;
  budget_id: string | null;
  budget_reset_at: string | null;
  expires: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  metadata: Record<string, unknown>;
  team_id: string | null;
  user_id: string | null;
  allowed_routes: string[];
  blocked: boolean;
  created_at: string;
  updated_at: string;
  created_by: string;
  updated_by: string | null;
  /** Its own per-model budgets (`{}`: none, or its budget's). */
  model_max_budget: unknown;
  /** Spend per model group (counted for the groups of its model_max_budget). */
  model_spend: unknown;
  /** Its budget (budget_id) as LiteLLM joins it: the LiteLLM_BudgetTable row; null without one. */
  litellm_budget_table: Record<string, unknown> | null;
}

/** The budgets of the keys answered, by budget_id (keys.repository.ts budgetsOf): null or missing, none joined. */
export type KeyBudgets = ReadonlyMap<string, Budget> | null;

/** `unflushedSpend`: spend recorded by this instance and not yet written (so /key/info is current). */
export function toKeyView(row: KeyRow, unflushedSpend = 0, budgets: KeyBudgets = null): KeyView {
  // A budget period that ended and was not reset yet: its spend no longer counts.
  const ended = (row.budgetResetAt?.getTime() ?? Infinity) <= Date.now();
  const extra = (row.extra ?? {}) as Record<string, unknown>;
  const budget = row.budgetId !== null ? budgets?.get(row.budgetId) : undefined;
  return {
    ...extra,
    token: row.token,
    key_alias: row.keyAlias,
    key_name: row.keyName,
    models: row.models,
    spend: ended ? 0 : row.spend + unflushedSpend,
    max_budget: ownLimit(row, 'max_budget', row.maxBudget),
    soft_budget: ownLimit(row, 'soft_budget', row.softBudget),
    soft_budget_cooldown: !ended && (row.softBudgetAlertedAt ?? null) !== null,
    budget_duration: ownLimit(row, 'budget_duration', row.budgetDuration),
    budget_id: row.budgetId,
    budget_reset_at: row.budgetResetAt?.toISOString() ?? null,
    expires: row.expires?.toISOString() ?? null,
    rpm_limit: ownLimit(row, 'rpm_limit', row.rpmLimit),
    tpm_limit: ownLimit(row, 'tpm_limit', row.tpmLimit),
    max_parallel_requests: ownLimit(row, 'max_parallel_requests', row.maxParallelRequests),
    metadata: (row.metadata ?? {}) as Record<string, unknown>,
    team_id: row.teamId,
    user_id: row.userId,
    allowed_routes: row.allowedRoutes,
    blocked: row.blocked,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    created_by: row.createdBy,
    updated_by: row.updatedBy,
    model_max_budget: ownLimit(row, MODEL_MAX_BUDGET, extra[MODEL_MAX_BUDGET]) ?? {},
    model_spend: row.modelSpend ?? {},
    litellm_budget_table: budget ? toBudgetView(budget) : null,
  };
}
