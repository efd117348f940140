/** PostgreSQL's epoch (2000-01-01 UTC) in Unix milliseconds: binary timestamps count microseconds from it. */
export const PG_EPOCH_MS = 946_684_800_000;

/**
 * PostgreSQL's `-infinity` as an end in time: the earliest instant a Date holds, so every comparison with now says
 * it has passed, and it prints as a date.
 */
export const ENDED_ALWAYS = new Date(-8_640_000_000_000_000);

/**
 * A column that marks an end in time (a key's expiry, a budget period's end) as `pg` reads it: a Date, or for
 * PostgreSQL's `infinity` and `-infinity` the numbers Infinity and -Infinity. `infinity` is no end, as NULL is;
 * `-infinity` an end already passed.
 */
export function pgEnd(v: Date | number | null): Date | null {
  if (typeof v !== 'number') return v;
  return v > 0 ? null : ENDED_ALWAYS;
}

/**
 * The same for a binary timestamp (COPY's format): microseconds from PG_EPOCH_MS as an int64 given as its high
 * int32 and low uint32, `infinity` and `-infinity` being the int64's largest and smallest values.
 */
export function pgEndMicros(hi: number, lo: number): Date | null {
  if (hi === 0x7fffffff && lo === 0xffffffff) return null;
  if (hi === -0x80000000 && lo === 0) return ENDED_ALWAYS;
  return new Date(PG_EPOCH_MS + (hi * 2 ** 32 + lo) / 1000);
}
