import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import type { Caller } from '../auth/caller';
import { DatabaseService } from '../database/database.service';
import {
  boundedWindow,
  last30Days,
  type globalActivityQuery,
  type globalEndUsersBody,
  type Window,
} from './global-spend-queries';
import { scopeOf, tokenOf, Where } from './spend-queries';
import { teamAliases } from './team-names';

/** At most this many tags, and LiteLLM's 100 end users, in an answer: the dearest first. */
const MAX_TAGS = 1000;
const MAX_END_USERS = 100;
/** LiteLLM's /global/spend/teams lists the 10 dearest teams in `total_spend_per_team`. */
const TOP_TEAMS = 10;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = `to_char("start_time" AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;

/**
 * LiteLLM's spend reads for its admin UI and scripts (`/spend/tags`, `/global/spend/*`, `/global/activity`), in its
 * answer shapes, from the spend log table. Each reads a window of at most 31 days (only those daily partitions) and
 * answers a bounded number of groups; the caller's scope is that of `/spend/logs` (scopeOf), through the team and key
 * indexes when it has one.
 */
/** A request tag's calls and spend, as LiteLLM's `/spend/tags` answers them. */
interface TagSpend {
  individual_request_tag: string;
  log_count: number;
  total_spend: number;
}

@Injectable()
export class GlobalSpendService {
  constructor(private readonly db: DatabaseService) {}

  /**
   * Requests and spend per request tag (a call with two tags counts for each), as LiteLLM's `/spend/tags`; `only`:
   * those tags alone.
   */
  async tags(
    start: string | undefined,
    end: string | undefined,
    caller: Caller,
    only?: readonly string[],
  ): Promise<TagSpend[]> {
    const where = this.where(caller, boundedWindow(start, end, ['start_date', 'end_date']));
    where.conds.push(`"request_tags" <> '{}'`);
    if (only !== undefined) where.conds.push(`t.tag = ANY($${where.params.push([...only])}::text[])`);
    const rows = await this.db.query<{ tag: string; n: string; spend: number }>(
      `SELECT t.tag, count(*) AS n, sum("spend") AS spend FROM "spend_logs" CROSS JOIN unnest("request_tags") AS t(tag)
       ${where.sql} GROUP BY t.tag ORDER BY spend DESC, t.tag LIMIT ${MAX_TAGS}`,
      where.params,
    );
    return rows.map((r) => ({ individual_request_tag: r.tag, log_count: Number(r.n), total_spend: r.spend }));
  }

  /**
   * The same per tag in LiteLLM's admin UI form: `{ spend_per_tag: [{ name, spend, log_count }] }`, dearest first,
   * spend rounded to 4 decimals as LiteLLM does; `tags` (comma-separated) keeps only those, unless it names
   * `all-tags`.
   */
  async spendPerTag(start: string | undefined, end: string | undefined, tags: string | undefined, caller: Caller) {
    const wanted = tags ? tags.split(',').filter((t) => t !== '') : [];
    // Chosen by the query, not from its answer: a tag asked for is answered even beyond the dearest MAX_TAGS.
    const only = wanted.length > 0 && !wanted.includes('all-tags') ? wanted : undefined;
    const rows = await this.tags(start, end, caller, only);
    return {
      spend_per_tag: rows.map((r) => ({
        name: r.individual_request_tag,
        spend: Math.round(r.total_spend * 1e4) / 1e4,
        log_count: r.log_count,
      })),
    };
  }

  /** The keys that spent most in the last 30 days, with their alias and masked name (LiteLLM's `Last30dKeysBySpend`). */
  async keys(limit: number, caller: Caller): Promise<object[]> {
    const where = this.where(caller, last30Days());
    where.conds.push(`"api_key" IS NOT NULL`);
    const n = where.params.push(limit);
    return this.db.query(
      `WITH top AS (SELECT "api_key", sum("spend") AS total_spend FROM "spend_logs" ${where.sql}
         GROUP BY "api_key" ORDER BY total_spend DESC, "api_key" LIMIT $${n})
       SELECT top.api_key, k.key_alias, k.key_name, top.total_spend FROM top
       LEFT JOIN "virtual_keys" k ON k.token = top.api_key ORDER BY top.total_spend DESC, top.api_key`,
      where.params,
    );
  }

  /** The models (as callers named them) that spent most in the last 30 days (LiteLLM's `Last30dModelsBySpend`). */
  async models(limit: number, caller: Caller): Promise<object[]> {
    const where = this.where(caller, last30Days());
    where.conds.push(`"model" <> ''`);
    const n = where.params.push(limit);
    return this.db.query(
      `SELECT "model", sum("spend") AS total_spend FROM "spend_logs" ${where.sql}
       GROUP BY "model" ORDER BY total_spend DESC, "model" LIMIT $${n}`,
      where.params,
    );
  }

  /**
   * Spend per day and team over the last 30 days, as LiteLLM's admin UI charts it: a team is named by its alias
   * (its id when it has none; calls of no team are 'Unassigned'), amounts rounded to cents as LiteLLM rounds them.
   */
  async teams(caller: Caller): Promise<object> {
    const where = this.where(caller, last30Days());
    const rows = await this.db.query<{ team_id: string | null; day: string; spend: number }>(
      `SELECT "team_id", ${DAY} AS day, sum("spend") AS spend FROM "spend_logs" ${where.sql} GROUP BY 1, 2 ORDER BY 2, 1`,
      where.params,
    );
    const aliases = await teamAliases(
      this.db,
      rows.map((r) => r.team_id),
    );
    const days = new Map<string, Record<string, number>>();
    const totals = new Map<string, number>();
    for (const r of rows) {
      const name = r.team_id === null ? 'Unassigned' : (aliases.get(r.team_id) ?? r.team_id);
      const spend = cents(r.spend);
      let day = days.get(r.day);
      if (!day) days.set(r.day, (day = {}));
      day[name] = cents((day[name] ?? 0) + spend);
      totals.set(name, cents((totals.get(name) ?? 0) + spend));
    }
    const dearest = [...totals].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, TOP_TEAMS);
    return {
      daily_spend: [...days].map(([date, spend]) => ({ date, ...spend })),
      teams: [...totals.keys()],
      total_spend_per_team: dearest.map(([name, total]) => ({ team_id: name, total_spend: total })),
    };
  }

  /** The 100 end users that spent most in a window (default the last 30 days), of one key when it names one. */
  async endUsers(body: z.output<typeof globalEndUsersBody>, caller: Caller): Promise<object[]> {
    const where = this.where(caller, boundedWindow(body.startTime, body.endTime, ['startTime', 'endTime']));
    where.eq('api_key', body.api_key === undefined ? undefined : tokenOf(body.api_key));
    const rows = await this.db.query<{ end_user: string; n: string; spend: number }>(
      `SELECT coalesce("end_user", '') AS end_user, count(*) AS n, sum("spend") AS spend FROM "spend_logs" ${where.sql}
       GROUP BY 1 ORDER BY spend DESC, 1 LIMIT ${MAX_END_USERS}`,
      where.params,
    );
    return rows.map((r) => ({ end_user: r.end_user, total_count: Number(r.n), total_spend: r.spend }));
  }

  /** Requests and tokens per UTC day (LiteLLM's `"Jan 05"` dates, in date order) and their sums. */
  async activity(q: z.output<typeof globalActivityQuery>, caller: Caller): Promise<object> {
    const where = this.where(caller, boundedWindow(q.start_date, q.end_date, ['start_date', 'end_date']));
    const rows = await this.db.query<{ day: string; n: string; tokens: string }>(
      `SELECT ${DAY} AS day, count(*) AS n, coalesce(sum("total_tokens"), 0) AS tokens FROM "spend_logs" ${where.sql}
       GROUP BY 1 ORDER BY 1`,
      where.params,
    );
    const daily = rows.map((r) => ({
      date: shortDate(r.day),
      api_requests: Number(r.n),
      total_tokens: Number(r.tokens),
    }));
    return {
      daily_data: daily,
      sum_api_requests: daily.reduce((s, d) => s + d.api_requests, 0),
      sum_total_tokens: daily.reduce((s, d) => s + d.total_tokens, 0),
    };
  }

  /**
   * Spend of the last 30 days (LiteLLM's `MonthlyGlobalSpend`) and the proxy-wide budget: the gateway enforces none
   * (`litellm_settings.max_budget` is ignored), so 0, LiteLLM's value when none is set.
   */
  async total(caller: Caller): Promise<object> {
    const where = this.where(caller, last30Days());
    const [row] = await this.db.query<{ spend: number }>(
      `SELECT coalesce(sum("spend"), 0) AS spend FROM "spend_logs" ${where.sql}`,
      where.params,
    );
    return { spend: row?.spend ?? 0, max_budget: 0 };
  }

  private where(caller: Caller, w: Window): Where {
    return new Where().within(scopeOf(caller, undefined)).between(w.from, w.to);
  }
}

function cents(x: number): number {
  return Math.round(x * 100) / 100;
}

/** `2026-01-05` as Python's `%b %d`: `Jan 05`. */
function shortDate(day: string): string {
  return `${MONTHS[Number(day.slice(5, 7)) - 1]} ${day.slice(8, 10)}`;
}
