import { z } from 'zod';
import { isStorableText, NOT_STORABLE } from '../dto/storable';
import { BUDGET_DURATION_HINT, isBudgetDuration } from '../budget/budget-period';
import { jsonObject } from '../access/limit-fields';

/** A budget id: LiteLLM's `budget_id`, any id the admin picks (generated when absent). */
export const budgetId = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine(isStorableText, NOT_STORABLE);

const limit = z.number().int('must be an integer').nonnegative('must be 0 or more').max(2_147_483_647, 'is too large');
const money = z.number().nonnegative('must be a non-negative finite number').finite();

/** LiteLLM's BudgetNewRequest fields (null clears a field on update). */
const budgetFields = {
  max_budget: money.nullable().optional(),
  soft_budget: money.nullable().optional(),
  max_parallel_requests: limit.nullable().optional(),
  tpm_limit: limit.nullable().optional(),
  rpm_limit: limit.nullable().optional(),
  budget_duration: z.string().refine(isBudgetDuration, BUDGET_DURATION_HINT).nullable().optional(),
  model_max_budget: jsonObject.nullable().optional(),
  budget_reset_at: z.iso.datetime({ offset: true, error: 'must be an ISO date-time' }).nullable().optional(),
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
