/** LiteLLM's durations: a number and a unit, `30s`, `15m`, `24h`, `7d`, `2w`, `1mo` (calendar months), `1y`. */
const DURATION = /^(\d{1,9})(s|m|h|d|w|mo|y)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function isValidDuration(text: string): boolean {
  return DURATION.test(text);
}

/** Years a stored date may have: what JavaScript dates, Prisma and PostgreSQL all represent (no year 0 in SQL). */
const FIRST_YEAR = 1;
const LAST_YEAR = 9999;

/** A valid date in the years 1 to 9999. */
export function isStorableDate(at: Date): boolean {
  const year = at.getUTCFullYear();
  return Number.isFinite(at.getTime()) && year >= FIRST_YEAR && year <= LAST_YEAR;
}

/** A valid duration whose expiry (from now) is a representable date, at most in the year 9999. */
export function isStorableDuration(text: string, now = new Date()): boolean {
  if (!DURATION.test(text)) return true; // reported by isValidDuration
  return isStorableDate(expiryFrom(text, now)!);
}

/**
 * A duration's length: calendar months (`mo`, and `y` as 12 of them), whose length varies, or fixed milliseconds (the
 * other units); null when it is not a duration.
 */
export function durationSpan(
  text: string,
): { months: number; ms?: undefined } | { ms: number; months?: undefined } | null {
  const m = DURATION.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  return m[2] === 'mo' ? { months: n } : m[2] === 'y' ? { months: 12 * n } : { ms: n * UNIT_MS[m[2]] };
}

/** A key's `duration`: its expiry instant from `now`, or null for "never" (null / undefined). */
export function expiryFrom(duration: string | null | undefined, now = new Date()): Date | null {
  if (duration === null || duration === undefined) return null;
  const span = durationSpan(duration);
  if (!span) throw new RangeError(`invalid duration ${duration}`);
  // Months clamp to the month's last day, as later budget periods do (nextResetMs, llmgw_next_reset).
  return new Date(span.ms === undefined ? addUtcMonths(now.getTime(), span.months) : now.getTime() + span.ms);
}

/**
 * `months` calendar months after `atMs` (before it when negative), in UTC: the same day of the month, or that month's
 * last day when it has fewer (Jan 31 + 1 month: Feb 28 or 29), the time of day kept.
 */
export function addUtcMonths(atMs: number, months: number): number {
  const at = new Date(atMs);
  const month = at.getUTCMonth() + months;
  const last = new Date(Date.UTC(at.getUTCFullYear(), month + 1, 0)).getUTCDate();
  at.setUTCFullYear(at.getUTCFullYear(), month, Math.min(at.getUTCDate(), last));
  return at.getTime();
}

/** A duration of fixed length (`30s`, `15m`, `24h`, `7d`, `2w`; not `mo` or `y`) in milliseconds. */
export function fixedDurationMs(text: string): number {
  const ms = durationSpan(text)?.ms;
  if (ms === undefined) throw new RangeError(`not a fixed-length duration: ${text}`);
  return ms;
}
