import type { Prisma } from '../../generated/prisma/client';
import type { KeyChanges, KeyRow } from '../key-row';
import { applyToKeys, KEY_BUDGET_LIMITS, lockBudget, type KeyBudgetLimit } from './budgets.repository';

/** What a key change needs of the stored key to tell which limits are its own and which its budget's. */
export type KeyBudgetState = Pick<KeyRow, 'budgetId' | 'budgetLimits' | 'extra' | (typeof PROP)[KeyBudgetLimit]>;

/**
 * The budget's model_max_budget, listed in `budget_limits` like the columns: kept in the key's `extra` (where the
 * key's own is), so the key cache reads it as the key's; taken when the key's own is missing or empty (LiteLLM).
 */
export const MODEL_MAX_BUDGET = 'model_max_budget';

const PROP = {
  max_budget: 'maxBudget',
  soft_budget: 'softBudget',
  rpm_limit: 'rpmLimit',
  tpm_limit: 'tpmLimit',
  max_parallel_requests: 'maxParallelRequests',
  budget_duration: 'budgetDuration',
} as const satisfies Record<KeyBudgetLimit, keyof KeyChanges>;

/** The columns to read for `withBudgetLimits`. */
export const KEY_BUDGET_SELECT = {
  budgetId: true,
  budgetLimits: true,
  maxBudget: true,
  softBudget: true,
  rpmLimit: true,
  tpmLimit: true,
  maxParallelRequests: true,
  budgetDuration: true,
  extra: true,
} as const satisfies Record<keyof KeyBudgetState, true> & Prisma.VirtualKeySelect;

/** Whether a change can alter what the key takes from a budget (its budget_id, or one of those limits). */
export function touchesBudget(c: KeyChanges): boolean {
  return (
    c.budgetId !== undefined ||
    c.extra?.[MODEL_MAX_BUDGET] !== undefined ||
    Object.values(PROP).some((p) => c[p] !== undefined)
  );
}

/**
 * A key change with the key's budget accounted for (LiteLLM: a key's own limit wins; its budget's applies where the
 * key's is null). The key's own value of a limit is the one given, else the stored one unless that is the budget's;
 * each limit the key does not set is listed in `budgetLimits` (its column is filled by `takeBudget`), and one the
 * key stops taking (it left the budget) is cleared. `current`: the stored key (null on create).
 */
export function withBudgetLimits(current: KeyBudgetState | null, changes: KeyChanges): KeyChanges {
  const budgetId = changes.budgetId !== undefined ? changes.budgetId : (current?.budgetId ?? null);
  const taken = new Set(current?.budgetLimits ?? []);
  if (budgetId === null && taken.size === 0) return changes;
  const out: KeyChanges = { ...changes };
  const limits: string[] = [];
  for (const col of KEY_BUDGET_LIMITS) {
    const p = PROP[col];
    const given = changes[p] !== undefined;
    const own = given ? changes[p] : taken.has(col) ? null : (current?.[p] ?? null);
    if (budgetId !== null && own === null) limits.push(col);
    else if (!given && taken.has(col)) {
      out[p] = null;
      if (col === 'budget_duration') out.budgetResetAt = null;
    }
  }
  const givenModels = changes.extra?.[MODEL_MAX_BUDGET];
  const ownModels =
    givenModels !== undefined ? givenModels : taken.has(MODEL_MAX_BUDGET) ? null : extraOf(current)[MODEL_MAX_BUDGET];
  if (budgetId !== null && isEmptyMap(ownModels)) limits.push(MODEL_MAX_BUDGET);
  else if (givenModels === undefined && taken.has(MODEL_MAX_BUDGET))
    out.extra = { ...changes.extra, [MODEL_MAX_BUDGET]: null };
  out.budgetLimits = limits;
  return out;
}

function extraOf(row: KeyBudgetState | null): Record<string, unknown> {
  const e = row?.extra;
  return e && typeof e === 'object' && !Array.isArray(e) ? e : {};
}

/** No per-model budget of its own: none, or `{}` (LiteLLM's default, which its budget's replaces). */
function isEmptyMap(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'object' && Object.keys(v).length === 0);
}

/** After the key is written: a key with a budget takes its limits (the budget locked against a concurrent delete). */
export async function takeBudget(tx: Prisma.TransactionClient, token: string, budgetId: string | null): Promise<void> {
  if (budgetId === null) return;
  await lockBudget(tx, budgetId);
  await applyToKeys(tx, budgetId, token);
}

/**
 * The key's own limits, as LiteLLM answers a key (the budget's are answered as null, with `budget_id`). A row read
 * without the column (a partial select) has none from a budget.
 */
export function ownLimit<T>(
  row: { readonly budgetLimits?: readonly string[] },
  col: KeyBudgetLimit | typeof MODEL_MAX_BUDGET,
  value: T,
): T | null {
  return row.budgetLimits?.includes(col) ? null : value;
}
