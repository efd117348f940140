import { z } from 'zod';
import { isStorableText, jsonProblem, NOT_STORABLE } from '../dto/storable';
import { firstResetAt } from '../budget/budget-period';
import { budgetDuration, limit, money } from '../dto/bounded';
import type { LimitColumns } from './limited-object';

/** Field validators shared by the team, user and customer bodies (LiteLLM's names; null clears where it makes sense). */
export const text = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine(isStorableText, NOT_STORABLE);
export const names = z.array(text).max(1000, 'must have at most 1000 entries');
export const jsonObject = z.record(z.string(), z.unknown()).superRefine((m, ctx) => {
  const problem = jsonProblem(m);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
/** Any JSON value LiteLLM documents for a field that has no effect here: stored and returned as sent. */
export const stored = z.unknown().superRefine((v, ctx) => {
  const problem = jsonProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const limitFields = {
  models: names.optional(),
  max_budget: money.nullable().optional(),
  soft_budget: money.nullable().optional(),
  budget_duration: budgetDuration.nullable().optional(),
  rpm_limit: limit.nullable().optional(),
  tpm_limit: limit.nullable().optional(),
  max_parallel_requests: limit.nullable().optional(),
  blocked: z.boolean().optional(),
  metadata: jsonObject.nullable().optional(),
};

export type LimitFields = { [K in keyof typeof limitFields]?: z.output<(typeof limitFields)[K]> };

/** Column changes for the limit fields that were given (absent fields are left alone). */
export type LimitChanges = Partial<Omit<LimitColumns, 'spend' | 'softBudgetAlertedAt'>> & {
  metadata?: Record<string, unknown>;
};

export function toLimitChanges(f: LimitFields, now = new Date()): LimitChanges {
  const c: LimitChanges = {};
  if (f.models !== undefined) c.models = f.models;
  if (f.max_budget !== undefined) c.maxBudget = f.max_budget;
  if (f.soft_budget !== undefined) c.softBudget = f.soft_budget;
  if (f.budget_duration !== undefined) {
    // A new duration starts a new period now; the spend of the running period is kept.
    c.budgetDuration = f.budget_duration;
    c.budgetResetAt = firstResetAt(f.budget_duration, now);
  }
  if (f.rpm_limit !== undefined) c.rpmLimit = f.rpm_limit;
  if (f.tpm_limit !== undefined) c.tpmLimit = f.tpm_limit;
  if (f.max_parallel_requests !== undefined) c.maxParallelRequests = f.max_parallel_requests;
  if (f.blocked !== undefined) c.blocked = f.blocked;
  if (f.metadata !== undefined) c.metadata = f.metadata ?? {};
  return c;
}

/** The fields of `body` named in `keys` that were given: what a change records in its audit row and `extra`. */
export function pick(body: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (body[k] !== undefined) out[k] = body[k];
  return out;
}

/** The limit fields of a row, in LiteLLM's names, as every info answer shows them. */
export function limitView(row: LimitColumns, spend: number): Record<string, unknown> {
  const ended = row.budgetResetAt !== null && row.budgetResetAt.getTime() <= Date.now();
  return {
    models: row.models,
    spend: ended ? 0 : spend,
    max_budget: row.maxBudget,
    soft_budget: row.softBudget,
    soft_budget_cooldown: !ended && row.softBudgetAlertedAt !== null,
    budget_duration: row.budgetDuration,
    budget_reset_at: row.budgetResetAt?.toISOString() ?? null,
    rpm_limit: row.rpmLimit,
    tpm_limit: row.tpmLimit,
    max_parallel_requests: row.maxParallelRequests,
    blocked: row.blocked,
  };
}
