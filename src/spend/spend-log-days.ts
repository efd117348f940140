/** Spend logs are partitioned by UTC day. */
export const DAY_MS = 86_400_000;

/** The UTC day (epoch milliseconds of its midnight) an instant falls on. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}
