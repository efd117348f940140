import { z } from 'zod';
import type { Caller } from '../auth/caller';
import { Errors } from '../common/errors/gateway-error';
import { isStorableDate } from '../common/time/duration';
import { readsAll } from '../keys/access/object-access';
import { isInternalUser } from '../keys/key-scope';
import { toToken } from '../keys/secrets/key-secret';
import { isStorableText, NOT_STORABLE } from '../keys/dto/storable';
import { isDay, parseQueryDate } from './spend-query-date';

const DAY_MS = 86_400_000;
/** The most rows a `/spend/logs` page may skip: OFFSET reads every row it skips; a later row is reached by date. */
export const MAX_SKIPPED_ROWS = 10_000;
const parseDate = (s: string) => new Date(parseQueryDate(s));
const date = z
  .string()
  .refine((s) => !Number.isNaN(parseDate(s).getTime()), {
    error: 'must be a date (YYYY-MM-DD) or an ISO 8601 date-time',
  })
  .refine((s) => Number.isNaN(parseDate(s).getTime()) || isStorableDate(parseDate(s)), {
    error: 'must be in the years 1 to 9999',
  });
const id = z.string().min(1).max(256).refine(isStorableText, NOT_STORABLE);

/** The spellings of a boolean LiteLLM's FastAPI query parameters take (pydantic's), by their value. */
const BOOLEAN = new Map([
  ...['true', '1', 'yes', 'on', 't', 'y'].map((s) => [s, true] as const),
  ...['false', '0', 'no', 'off', 'f', 'n'].map((s) => [s, false] as const),
]);
/** Whether a `summarize` (or other boolean) query parameter says true. */
export const isTrue = (s: string | undefined): boolean => s !== undefined && BOOLEAN.get(s.toLowerCase()) === true;

export const spendLogsQuery = z
  .object({
    api_key: id.optional(),
    user_id: id.optional(),
    team_id: id.optional(),
    request_id: id.optional(),
    /** The model group the call asked for (LiteLLM's UI filters its logs by it). */
    model: id.optional(),
    start_date: date.optional(),
    end_date: date.optional(),
    page: z.coerce.number().int().min(1).max(1_000_000).default(1),
    page_size: z.coerce.number().int().min(1).max(1000).default(100),
    /** With both dates, true answers LiteLLM's summary per day; false (the default here) the rows. */
    summarize: z
      .string()
      .refine((s) => BOOLEAN.has(s.toLowerCase()), { error: 'must be true or false' })
      .optional(),
  })
  .strict();

export const GROUPS = ['team', 'api_key', 'user', 'model', 'customer'] as const;
export const spendReportQuery = z
  .object({
    start_date: date,
    end_date: date,
    group_by: z.enum(GROUPS).default('team'),
    /** LiteLLM's per-key answer for one key (a secret is looked for by its hash) or one user's keys. */
    api_key: id.optional(),
    internal_user_id: id.optional(),
    /** Only this team's or end user's rows; both together: LiteLLM's per team and customer answer. */
    team_id: id.optional(),
    customer_id: id.optional(),
  })
  .strict();

/** Inclusive start and exclusive end, epoch ms: a date alone covers its whole (UTC) day. */
export function range(
  start?: string,
  end?: string,
  names: readonly [string, string] = ['start_date', 'end_date'],
): { from: number | null; to: number | null } {
  const from = start === undefined ? null : parseDate(start).getTime();
  const endAt = end === undefined ? null : parseDate(end).getTime() + (isDay(end) ? DAY_MS : 1);
  // The end of 9999-12-31 is past the last date the database holds, and no row is later: no upper bound.
  const to = endAt === null || !isStorableDate(new Date(endAt)) ? null : endAt;
  if (from !== null && to !== null && to <= from)
    throw Errors.badRequest(`${names[1]} is before ${names[0]}`, names[1]);
  return { from, to };
}

/** A raw virtual key given as `api_key` is looked for by its token (the only form stored); anything else as given. */
export function tokenOf(apiKey: string): string {
  return toToken(apiKey) ?? apiKey;
}

/** The rows of one team, one key or one user (none: every row). */
export interface SpendScope {
  readonly teamId?: string;
  readonly apiKey?: string;
  readonly userId?: string;
}

/**
 * The rows a caller asks for (`askedTeam`, `askedUser`: its filters) within those it may see: admins and
 * proxy_admin_viewer all; an internal user (a JWT of that role, or a key of such a user) its user's, whatever its team
 * (LiteLLM's own-spend view); a team (a team JWT, or a virtual key of a team) its team's; a key of no team its own.
 * Naming another team or user is refused.
 */
export function scopeOf(caller: Caller, askedTeam: string | undefined, askedUser?: string): SpendScope {
  if (readsAll(caller)) return { teamId: askedTeam, userId: askedUser };
  if (isInternalUser(caller)) {
    const user = caller.userId;
    if (user === undefined)
      throw Errors.forbidden(
        'An internal user sees only its own spend, and this token has no user id (user_id_jwt_field)',
      );
    if (askedUser !== undefined && askedUser !== user)
      throw Errors.forbidden(`An internal user sees only its own spend (user ${JSON.stringify(user)})`);
    return { teamId: askedTeam, userId: user };
  }
  const team = caller.teamId;
  if (team !== undefined) {
    if (askedTeam !== undefined && askedTeam !== team)
      throw Errors.forbidden(`A team caller sees only its own team's spend (team ${JSON.stringify(team)})`);
    return { teamId: team, userId: askedUser };
  }
  if (caller.via === 'virtual_key' && caller.token)
    return { teamId: askedTeam, apiKey: caller.token, userId: askedUser };
  throw Errors.forbidden('This caller has no team or key to see spend of');
}

/**
 * How the spend log's indexes hold these columns: the request id's compares bytes (collation "C"), the key's, team's
 * and user's hold a hash of the value (migrations 20261207070000, 20261207080000). An equality names the same, so the
 * planner uses the index; a hash is followed by the value itself, as two values may share a hash.
 */
const BYTE_INDEXED: ReadonlySet<string> = new Set(['request_id']);
const HASH_INDEXED: ReadonlySet<string> = new Set(['api_key', 'team_id', 'user']);

/** WHERE conditions and their parameters, built from filters (never from values pasted into SQL). */
export class Where {
  readonly conds: string[] = [];
  readonly params: unknown[] = [];

  eq(column: string, value: string | undefined): this {
    if (value === undefined) return this;
    const n = this.params.push(value);
    if (HASH_INDEXED.has(column)) this.conds.push(`hashtext("${column}") = hashtext($${n}) AND "${column}" = $${n}`);
    else if (BYTE_INDEXED.has(column)) this.conds.push(`"${column}" COLLATE "C" = $${n}`);
    else this.conds.push(`"${column}" = $${n}`);
    return this;
  }

  /** The rows of a caller's scope and filters (scopeOf). */
  within(scope: SpendScope): this {
    return this.eq('team_id', scope.teamId).eq('api_key', scope.apiKey).eq('user', scope.userId);
  }

  between(from: number | null, to: number | null): this {
    if (from !== null) this.conds.push(`"start_time" >= $${this.params.push(new Date(from).toISOString())}`);
    if (to !== null) this.conds.push(`"start_time" < $${this.params.push(new Date(to).toISOString())}`);
    return this;
  }

  get sql(): string {
    return this.conds.length ? `WHERE ${this.conds.join(' AND ')}` : '';
  }
}
