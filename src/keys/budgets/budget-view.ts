import type { Budget } from '../../generated/prisma/client';

/** A budget as LiteLLM answers it: the LiteLLM_BudgetTable row. */
export function toBudgetView(row: Budget): Record<string, unknown> {
  return {
    budget_id: row.budgetId,
    max_budget: row.maxBudget,
    soft_budget: row.softBudget,
    max_parallel_requests: row.maxParallelRequests,
    tpm_limit: row.tpmLimit,
    rpm_limit: row.rpmLimit,
    model_max_budget: row.modelMaxBudget,
    budget_duration: row.budgetDuration,
    budget_reset_at: row.budgetResetAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    created_by: row.createdBy,
    updated_at: row.updatedAt.toISOString(),
    updated_by: row.updatedBy,
  };
}

/** The fields /budget/settings describes, with LiteLLM's types and descriptions, in BudgetNewRequest's order. */
const SETTINGS: readonly (readonly [string, string, string])[] = [
  ['max_budget', 'Float', 'Requests will fail if this budget (in USD) is exceeded.'],
  ['soft_budget', 'Float', 'Requests will NOT fail if this is exceeded. Will fire alerting though.'],
  ['max_parallel_requests', 'Integer', 'Max concurrent requests allowed for this budget id.'],
  ['tpm_limit', 'Integer', 'Max tokens per minute, allowed for this budget id.'],
  ['rpm_limit', 'Integer', 'Max requests per minute, allowed for this budget id.'],
  ['budget_duration', 'String', "Max duration budget should be set for (e.g. '1hr', '1d', '28d')"],
  [
    'model_max_budget',
    'Object',
    "Max budget for each model (e.g. {'gpt-4o': {'max_budget': '0.0000001', 'budget_duration': '1d', 'tpm_limit': 1000, 'rpm_limit': 1000}})",
  ],
];

/** LiteLLM's /budget/settings answer: one ConfigList entry per configurable field, with the budget's value. */
export function budgetSettings(row: Budget | null): Record<string, unknown>[] {
  const view: Record<string, unknown> = row ? toBudgetView(row) : {};
  return SETTINGS.map(([name, type, description]) => ({
    field_name: name,
    field_type: type,
    field_description: description,
    field_value: view[name] ?? null,
    stored_in_db: true,
    field_default_value: null,
    premium_field: false,
    nested_fields: null,
  }));
}
