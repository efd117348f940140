import { z } from 'zod';
import { Errors } from '../common/errors/gateway-error';
import { isStorableText, NOT_STORABLE } from '../keys/dto/storable';
import { range, spendReportQuery } from './spend-queries';

const DAY_MS = 86_400_000;
/** The longest window a global spend read aggregates: its cost is the rows of that many daily partitions. */
export const MAX_WINDOW_DAYS = 31;
/** LiteLLM's global spend views read the last 30 days (from midnight UTC, 30 days ago). */
const DEFAULT_DAYS = 30;

const date = spendReportQuery.shape.start_date;
const limit = (byDefault: number) => z.coerce.number().int().min(1).max(1000).default(byDefault);

/** The routes that take no parameter. */
export const noQuery = z.object({}).strict();

export const spendTagsQuery = z.object({ start_date: date.optional(), end_date: date.optional() }).strict();

/** LiteLLM's admin UI form: `tags`, comma-separated (none, or `all-tags` among them: every tag). */
export const globalSpendTagsQuery = spendTagsQuery.extend({ tags: z.string().max(10_000).optional() }).strict();

/** `limit`: LiteLLM answers every key when it is left out; here the 100 that spent most. */
export const globalSpendKeysQuery = z.object({ limit: limit(100) }).strict();

export const globalSpendModelsQuery = z.object({ limit: limit(10) }).strict();

/** Both dates required, as LiteLLM asks. */
export const globalActivityQuery = z.object({ start_date: date, end_date: date }).strict();

/** LiteLLM's POST body (`GlobalEndUsersSpend`): one key's end users, within a window. */
export const globalEndUsersBody = z
  .object({
    api_key: z.string().min(1).max(256).refine(isStorableText, NOT_STORABLE).optional(),
    startTime: date.optional(),
    endTime: date.optional(),
  })
  .strict();

export interface Window {
  readonly from: number;
  readonly to: number | null;
}

/** LiteLLM's fixed window of its `Last30d...` views: midnight UTC 30 days ago, onward. */
export function last30Days(now = Date.now()): Window {
  return { from: Math.floor(now / DAY_MS) * DAY_MS - DEFAULT_DAYS * DAY_MS, to: null };
}

/**
 * A window whose end is no later than the end of tomorrow (UTC; no row is written later), its start as asked: a read
 * whose contract takes any dates (`/global/spend/report`, the `/spend/logs` summary) reads the daily partitions of
 * the window that exist, and never days to come. Its start is not moved: a report that left out days it was asked
 * for would answer wrong sums, where a long window only costs the partitions that exist in it.
 */
export function pastDays(
  r: { from: number | null; to: number | null },
  now = Date.now(),
): { from: number | null; to: number } {
  return { from: r.from, to: Math.min(r.to ?? Infinity, (Math.floor(now / DAY_MS) + 2) * DAY_MS) };
}

/**
 * A window from optional dates, bounded: no dates is the last 30 days, one date alone reaches 30 days to the other
 * side, and a window longer than MAX_WINDOW_DAYS is refused (naming the date to move) rather than read.
 */
export function boundedWindow(start: string | undefined, end: string | undefined, names: [string, string]): Window {
  const r = range(start, end, names);
  if (r.from === null && r.to === null) return last30Days();
  const from = r.from ?? (r.to as number) - DEFAULT_DAYS * DAY_MS;
  const to = r.to ?? from + DEFAULT_DAYS * DAY_MS;
  if (to - from > MAX_WINDOW_DAYS * DAY_MS)
    throw Errors.badRequest(
      `${names[0]} to ${names[1]} spans more than ${MAX_WINDOW_DAYS} days: ask for at most ${MAX_WINDOW_DAYS} days at a time`,
      start === undefined ? names[0] : names[1],
    );
  return { from, to };
}
