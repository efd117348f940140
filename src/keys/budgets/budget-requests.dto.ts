import { z } from 'zod';
import { isStorableText, NOT_STORABLE } from '../dto/storable';
import { budgetDuration, dateTime, limit, money } from '../dto/bounded';
import { jsonObject } from '../access/limit-fields';

/** A budget id: LiteLLM's `budget_id`, any id the admin picks (generated when absent). */
export const budgetId = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine(isStorableText, NOT_STORABLE);

/** LiteLLM's BudgetNewRequest fields (null clears a field on update). */
const budgetFields = {
  max_budget: money.nullable().optional(),
  soft_budget: money.nullable().optional(),
  max_parallel_requests: limit.nullable().optional(),
  tpm_limit: limit.nullable().optional(),
  rpm_limit: limit.nullable().optional(),
  budget_duration: budgetDuration.nullable().optional(),
  model_max_budget: jsonObject.nullable().optional(),
  budget_reset_at: dateTime.nullable().optional(),
};

/** POST /budget/new. */
export const newBudgetSchema = z.strictObject({ ...budgetFields, budget_id: budgetId.optional() });
export type NewBudgetRequest = z.output<typeof newBudgetSchema>;

/** POST /budget/update: budget_id plus the fields to change. */
export const updateBudgetSchema = z.strictObject({ ...budgetFields, budget_id: budgetId });
export type UpdateBudgetRequest = z.output<typeof updateBudgetSchema>;

/** POST /budget/info: LiteLLM's BudgetRequest. */
export const budgetInfoSchema = z.strictObject({ budgets: z.array(budgetId).max(1000) });

/** GET /budget/settings. */
export const budgetSettingsSchema = z.strictObject({ budget_id: budgetId });

/** POST /budget/delete: LiteLLM's BudgetDeleteRequest. */
export const deleteBudgetSchema = z.strictObject({ id: budgetId });

/** GET /budget/list. */
export const listBudgetsSchema = z.strictObject({});
