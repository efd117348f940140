import type { DatabaseService } from '../database/database.service';
import type { Where } from './spend-queries';

const DAY_MS = 86_400_000;
/** Padding stops after this many days: an end date decades ahead must not make a huge answer. */
const MAX_PADDED_DAYS = 3660;

interface SummaryRow {
  day: string;
  api_key: string | null;
  user: string | null;
  model: string;
  spend: number;
}

type DaySummary = Record<string, unknown> & {
  startTime: string;
  spend: number;
  users: Record<string, number>;
  models: Record<string, number>;
};

/**
 * LiteLLM's `/spend/logs?start_date=&end_date=` answer (its `summarize=true`, the default): one entry per UTC day
 * with spend, `startTime` (the day), the spend of each key under the key's hash, and `users` and `models` maps; the
 * days after the last one with spend, up to `endDay`, follow with zero spend, as LiteLLM pads them.
 */
export async function spendDaySummary(db: DatabaseService, where: Where, endDay: string): Promise<DaySummary[]> {
  const rows = await db.query<SummaryRow>(
    `SELECT to_char("start_time" AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, "api_key", "user", "model",
       sum("spend") AS spend
     FROM "spend_logs" ${where.sql} GROUP BY 1, 2, 3, 4 ORDER BY 1`,
    where.params,
  );
  const days = new Map<string, DaySummary>();
  for (const r of rows) {
    let d = days.get(r.day);
    if (!d) days.set(r.day, (d = { startTime: r.day, spend: 0, users: {}, models: {} }));
    // A call without a key (master key, JWT) is counted under '' as its log row names no key.
    const key = r.api_key ?? '';
    const user = r.user ?? '';
    d.spend += r.spend;
    d[key] = ((d[key] as number | undefined) ?? 0) + r.spend;
    d.users[user] = (d.users[user] ?? 0) + r.spend;
    d.models[r.model] = (d.models[r.model] ?? 0) + r.spend;
  }
  const out = [...days.values()];
  const last = out.at(-1)?.startTime;
  if (last === undefined) return out;
  const lastPadded = Math.min(
    Date.parse(`${endDay}T00:00:00Z`),
    Date.parse(`${last}T00:00:00Z`) + MAX_PADDED_DAYS * DAY_MS,
  );
  for (let t = Date.parse(`${last}T00:00:00Z`) + DAY_MS; t <= lastPadded; t += DAY_MS)
    out.push({ startTime: new Date(t).toISOString().slice(0, 10), spend: 0, users: {}, models: {} });
  return out;
}
