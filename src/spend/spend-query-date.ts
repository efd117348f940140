/**
 * The dates the spend routes' queries take: `YYYY-MM-DD` (a UTC day) or an ISO 8601 date-time, `T` or a space
 * between, seconds and fraction optional. A date-time without an offset is UTC, as LiteLLM reads its
 * `YYYY-MM-DD HH:MM:SS`: JavaScript's own parse would read it in the server's time zone (and take forms like `1` or
 * `Dec 7`, and roll `02-30` into March), so the same query would name other rows on another server.
 */
const DAY = /^([+-]?\d{4,6})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^([+-]?\d{4,6})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Whether `s` is a date alone (covering its whole UTC day). */
export const isDay = (s: string): boolean => DAY.test(s);

/** The instant `s` names, or NaN when it is no date of the calendar in these forms. */
export function parseQueryDate(s: string): number {
  const m = DAY.exec(s) ?? DATE_TIME.exec(s);
  if (m === null) return NaN;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  if (hour > 23 || minute > 59 || second > 59) return NaN;
  const at = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads the years 0 to 99 as 1900 to 1999.
  at.setUTCFullYear(year, month - 1, day);
  if (at.getUTCFullYear() !== year || at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day) return NaN;
  at.setUTCHours(hour, minute, second, ms);
  return at.getTime() - offsetMs(m[8]);
}

function offsetMs(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2) || 0);
  if (hours > 23 || minutes > 59) return NaN;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
}
