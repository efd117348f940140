import { expiryFrom, isValidDuration } from '../../common/time/duration';

/**
 * LiteLLM's `budget_duration`: how long a budget period lasts (`30s`, `30m`, `24h`, `7d`, `1mo`). When the period
 * ends, spend restarts at 0 and the next period ends one duration later, counted from the previous end (no drift).
 * The database computes later ends (function llmgw_next_reset), so that every instance agrees on them; this side
 * only computes the first end, when a duration is set.
 */
export const BUDGET_DURATION_HINT = 'must be a number and a unit: 30s, 30m, 24h, 7d, 2w, 1mo, 1y';

export function isBudgetDuration(text: string): boolean {
  return isValidDuration(text) && !/^0+[a-z]/.test(text);
}

/** When the first period of a budget with this duration, starting now, ends (null: no duration). */
export function firstResetAt(duration: string | null | undefined, now = new Date()): Date | null {
  return expiryFrom(duration, now);
}
