import { limitView } from '../access/limit-fields';
import type { CustomerRow } from './customers.repository';

/**
 * An end user in LiteLLM's field names (LiteLLM_EndUserTable): its limits flat, and again under
 * `litellm_budget_table` where LiteLLM keeps them, with the stored-as-sent fields merged in.
 */
export function toCustomerView(row: CustomerRow, unflushedSpend = 0): Record<string, unknown> {
  const limits = limitView(row, row.spend + unflushedSpend);
  return {
    ...((row.extra ?? {}) as Record<string, unknown>),
    user_id: row.userId,
    alias: row.alias,
    allowed_model_region: row.allowedModelRegion,
    default_model: row.defaultModel,
    metadata: row.metadata,
    budget_id: row.budgetId,
    ...limits,
    litellm_budget_table: {
      max_budget: limits.max_budget,
      soft_budget: limits.soft_budget,
      budget_duration: limits.budget_duration,
      budget_reset_at: limits.budget_reset_at,
      tpm_limit: limits.tpm_limit,
      rpm_limit: limits.rpm_limit,
      max_parallel_requests: limits.max_parallel_requests,
    },
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
