/**
 * LiteLLM's key `duration`: a number and a unit, `30s`, `15m`, `24h`, `7d`, `2w`, `1mo` (calendar months), `1y`.
 * Returns the expiry instant from `now`, or null for "never" (null / undefined).
 */
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

export function expiryFrom(duration: string | null | undefined, now = new Date()): Date | null {
  if (duration === null || duration === undefined) return null;
  const m = DURATION.exec(duration);
  if (!m) throw new RangeError(`invalid duration ${duration}`);
  const n = Number(m[1]);
  const unit = m[2];
  // Months and years clamp to the month's last day, as later budget periods do (nextResetMs, llmgw_next_reset).
  if (unit === 'mo' || unit === 'y') return new Date(addUtcMonths(now.getTime(), unit === 'y' ? 12 * n : n));
  return new Date(now.getTime() + n * UNIT_MS[unit]);
}

/** A duration's count and unit (`s`, `m`, `h`, `d`, `w`, `mo`, `y`); null when it is not one. */
export function durationParts(text: string): { count: number; unit: string } | null {
  const m = DURATION.exec(text);
  return m ? { count: Number(m[1]), unit: m[2] } : null;
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
  const m = DURATION.exec(text);
  const unitMs = m ? UNIT_MS[m[2]] : undefined;
  if (unitMs === undefined) throw new RangeError(`not a fixed-length duration: ${text}`);
  return Number(m![1]) * unitMs;
}
