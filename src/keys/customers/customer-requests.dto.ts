import { z } from 'zod';
import { isStorableText, NOT_STORABLE } from '../dto/storable';
import { jsonObject, limitFields, stored, text } from '../access/limit-fields';
import { budgetId } from '../budgets/budget-requests.dto';
import { dateTime, money } from '../dto/bounded';

/** LiteLLM customer fields that have no effect here: accepted, stored and answered as sent. */
export const CUSTOMER_STORED_FIELDS = ['model_max_budget', 'object_permission'] as const;

/** The limit fields a budget gives an end user that takes it (budget_id): not set on the end user beside one. */
export const BUDGET_LIMIT_FIELDS = [
  'max_budget',
  'soft_budget',
  'budget_duration',
  'rpm_limit',
  'tpm_limit',
  'max_parallel_requests',
] as const;

const storedFields = Object.fromEntries(CUSTOMER_STORED_FIELDS.map((f) => [f, stored.optional()])) as Record<
  (typeof CUSTOMER_STORED_FIELDS)[number],
  z.ZodOptional<typeof stored>
>;

/** An end user id: the `user` field of an OpenAI request. */
export const endUserId = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine(isStorableText, NOT_STORABLE);

const customerFields = {
  ...limitFields,
  ...storedFields,
  alias: text.nullable().optional(),
  allowed_model_region: z.enum(['eu', 'us'], { error: 'must be "eu" or "us"' }).nullable().optional(),
  default_model: text.nullable().optional(),
  metadata: jsonObject.nullable().optional(),
  // The budget whose limits the end user takes (null: none, its own limit fields again).
  budget_id: budgetId.nullable().optional(),
};

/** POST /customer/new. */
export const newCustomerSchema = z.strictObject({
  ...customerFields,
  user_id: endUserId,
  spend: money.optional(),
  // LiteLLM's BudgetNewRequest: when the first budget period ends (else one budget_duration from now).
  budget_reset_at: dateTime.nullable().optional(),
});
export type NewCustomerRequest = z.output<typeof newCustomerSchema>;

/** POST /customer/update. */
export const updateCustomerSchema = z.strictObject({ ...customerFields, user_id: endUserId });
export type UpdateCustomerRequest = z.output<typeof updateCustomerSchema>;

/** POST /customer/delete, /customer/block, /customer/unblock. */
export const customerIdsSchema = z.strictObject({ user_ids: z.array(endUserId).min(1, 'give at least one').max(1000) });

/** GET /customer/info. */
export const customerInfoSchema = z.strictObject({ end_user_id: endUserId });

/** GET /customer/list. */
export const listCustomersSchema = z.strictObject({});
