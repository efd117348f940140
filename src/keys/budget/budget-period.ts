import { addUtcMonths, durationSpan, expiryFrom, isValidDuration } from '../../common/time/duration';

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

/**
 * The end of the period after the one that ended at `endMs`, as the database computes it (llmgw_next_reset): the
 * first of `endMs` plus whole durations that is after `nowMs`, calendar months and years in UTC with the day kept
 * (the month's last day when it has fewer). Null for a duration it does not know.
 */
export function nextResetMs(endMs: number, duration: string, nowMs: number): number | null {
  const span = durationSpan(duration);
  // A zero duration has no next end.
  if (span === null || (span.ms ?? span.months) === 0 || !Number.isFinite(endMs)) return null;
  const step = span.ms;
  if (step !== undefined) return endMs + step * Math.max(1, Math.floor((nowMs - endMs) / step) + 1);
  const months = span.months;
  const at = new Date(endMs);
  const now = new Date(nowMs);
  const elapsed = (now.getUTCFullYear() - at.getUTCFullYear()) * 12 + now.getUTCMonth() - at.getUTCMonth();
  for (let k = Math.max(1, Math.floor(elapsed / months) - 1); ; k++) {
    const next = addUtcMonths(endMs, k * months);
    if (next > nowMs) return next;
  }
}
