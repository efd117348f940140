import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import type { Caller } from '../auth/caller';
import { Errors } from '../common/errors/gateway-error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { DatabaseService } from '../database/database.service';
import { pastDays } from './global-spend-queries';
import { keySpendReport } from './key-spend-report';
import { spendDaySummary } from './spend-day-summary';
import { teamAliases } from './team-names';
import {
  isTrue,
  MAX_SKIPPED_ROWS,
  range,
  scopeOf,
  tokenOf,
  Where,
  type spendLogsQuery,
  type spendReportQuery,
} from './spend-queries';

interface LogRow {
  request_id: string;
  call_type: string;
  api_key: string | null;
  key_alias: string | null;
  team_id: string | null;
  user: string | null;
  end_user: string | null;
  model: string;
  model_id: string | null;
  api_base: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  spend: number;
  start_time: Date;
  end_time: Date;
  completion_start_time: Date | null;
  status: string;
  status_code: number;
  request_tags: string[];
}

interface ReportRow {
  day: string;
  grp: string | null;
  model: string;
  api_key: string | null;
  spend: number;
  total_tokens: string;
  prompt_tokens: string;
  completion_tokens: string;
  requests: string;
}

/** The group column and how LiteLLM names the list and the entry field of each `group_by`. */
const GROUP_BY = {
  team: { column: 'team_id', list: 'teams', field: 'team_name' },
  api_key: { column: 'api_key', list: 'api_keys', field: 'api_key' },
  user: { column: 'user', list: 'users', field: 'user' },
  model: { column: 'model', list: 'models', field: 'model' },
  customer: { column: 'end_user', list: 'customers', field: 'customer' },
} as const;

/** LiteLLM's answer to `team_id` with `customer_id`: one entry per team and customer, named by both. */
const TEAM_AND_CUSTOMER = { column: 'team_id', list: 'teams_customers', field: 'team_name' } as const;

/** `/spend/logs` and `/global/spend/report`, read with plain SQL on the indexed, partitioned table. */
@Injectable()
export class SpendReadService {
  /** Each deployment's provider by its id: LiteLLM's `custom_llm_provider` of a row, which names its deployment. */
  private readonly providers: ReadonlyMap<string, string>;

  constructor(
    private readonly db: DatabaseService,
    @Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'models'>,
  ) {
    this.providers = new Map(config.models.map((d) => [d.id, d.provider]));
  }

  async logs(q: z.output<typeof spendLogsQuery>, caller: Caller): Promise<object[]> {
    const scope = scopeOf(caller, q.team_id, q.user_id);
    const asked = range(q.start_date, q.end_date);
    // Rows by default (filters and paging apply to them); LiteLLM's summary per day for a range of dates when asked
    // for (summarize=true, LiteLLM's own default: a LiteLLM script reading the summary names it), up to tomorrow.
    const summary = q.start_date !== undefined && q.end_date !== undefined && isTrue(q.summarize);
    const { from, to } = summary ? pastDays(asked) : asked;
    const where = new Where()
      .within(scope)
      .eq('api_key', q.api_key === undefined ? undefined : tokenOf(q.api_key))
      .eq('request_id', q.request_id)
      .eq('model', q.model)
      .between(from, to);
    if (summary) {
      // The UTC day of the end asked for (an end with an offset may fall on another day than its date reads).
      const endDay = asked.to !== null ? new Date(asked.to - 1).toISOString().slice(0, 10) : '9999-12-31';
      return spendDaySummary(this.db, where, endDay);
    }
    if ((q.page - 1) * q.page_size > MAX_SKIPPED_ROWS)
      throw Errors.badRequest(
        `page ${q.page} of ${q.page_size} rows skips more than ${MAX_SKIPPED_ROWS} rows: to read further, ` +
          `pass the last row's startTime as end_date`,
        'page',
      );
    const limit = where.params.push(q.page_size);
    const offset = where.params.push((q.page - 1) * q.page_size);
    const rows = await this.db.query<LogRow>(
      `SELECT * FROM "spend_logs" ${where.sql} ORDER BY "start_time" DESC, "id" DESC LIMIT $${limit} OFFSET $${offset}`,
      where.params,
    );
    return rows.map((r) => toAnswer(r, (r.model_id !== null && this.providers.get(r.model_id)) || ''));
  }

  async report(q: z.output<typeof spendReportQuery>, caller: Caller): Promise<object[]> {
    const scope = scopeOf(caller, q.team_id, q.internal_user_id);
    // Any dates are taken, as the contract has it; days to come are not read (pastDays).
    const { from, to } = pastDays(range(q.start_date, q.end_date));
    const where = new Where().within(scope).eq('end_user', q.customer_id).between(from, to);
    // LiteLLM's other answers: per key for one key or one user, per team and customer for both.
    if (q.api_key !== undefined) return keySpendReport(this.db, where.eq('api_key', tokenOf(q.api_key)));
    if (q.internal_user_id !== undefined) return keySpendReport(this.db, where);
    const both = q.team_id !== undefined && q.customer_id !== undefined;
    const g = both ? TEAM_AND_CUSTOMER : GROUP_BY[q.group_by];
    const rows = await this.db.query<ReportRow>(
      `SELECT to_char("start_time" AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, "${g.column}" AS grp, "model", "api_key",
         sum("spend") AS spend, sum("total_tokens") AS total_tokens, sum("prompt_tokens") AS prompt_tokens,
         sum("completion_tokens") AS completion_tokens, count(*) AS requests
       FROM "spend_logs" ${where.sql} GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      where.params,
    );
    const teamNames = !both && q.group_by === 'team' ? await this.teamNames(rows) : undefined;
    // Calls of no key, user or end user: named "" as their rows are (LiteLLM's empty column), not null.
    if (g.column === 'api_key' || g.column === 'user' || g.column === 'end_user') for (const r of rows) r.grp ??= '';
    return assembleReport(rows, g.list, g.field, both ? { customer: q.customer_id } : {}, teamNames);
  }

  /**
   * LiteLLM names a team in its report by the team's alias, and calls of no team 'Unassigned Team'; a team without an
   * alias is named by its id here (LiteLLM would call it unassigned too). The id is answered alongside as `team_id`.
   */
  private async teamNames(rows: readonly ReportRow[]): Promise<(id: string | null) => string> {
    const aliases = await teamAliases(
      this.db,
      rows.map((r) => r.grp),
    );
    return (id) => (id === null ? 'Unassigned Team' : (aliases.get(id) ?? id));
  }
}

/**
 * A row as LiteLLM answers it (every field of its LiteLLM_SpendLogs, with LiteLLM's values when it stores no prompts),
 * with the key's hash, never a secret.
 */
function toAnswer(r: LogRow, provider: string): object {
  return {
    request_id: r.request_id,
    call_type: r.call_type,
    api_key: r.api_key ?? '',
    key_alias: r.key_alias,
    spend: r.spend,
    total_tokens: r.total_tokens,
    prompt_tokens: r.prompt_tokens,
    completion_tokens: r.completion_tokens,
    startTime: r.start_time.toISOString(),
    endTime: r.end_time.toISOString(),
    completionStartTime: r.completion_start_time?.toISOString() ?? null,
    request_duration_ms: r.end_time.getTime() - r.start_time.getTime(),
    model: r.model,
    model_group: r.model,
    model_id: r.model_id,
    custom_llm_provider: provider,
    api_base: r.api_base,
    user: r.user ?? '',
    end_user: r.end_user ?? '',
    team_id: r.team_id,
    status: r.status,
    status_code: r.status_code,
    request_tags: r.request_tags,
    cache_hit: 'False',
    cache_key: '',
    organization_id: null,
    requester_ip_address: null,
    session_id: null,
    mcp_namespaced_tool_name: null,
    agent_id: null,
    messages: {},
    response: {},
    proxy_server_request: {},
    metadata: {
      user_api_key: r.api_key,
      user_api_key_alias: r.key_alias,
      user_api_key_team_id: r.team_id,
      user_api_key_user_id: r.user,
      status: r.status,
    },
  };
}

interface GroupEntry {
  name: string | null;
  spend: number;
  tokens: number;
  prompt: number;
  completion: number;
  requests: number;
  metadata: object[];
}

/** Rows grouped by day, group, model and key, as one list of days, each with its groups and their details. */
function assembleReport(
  rows: readonly ReportRow[],
  list: string,
  field: string,
  also: Record<string, unknown>,
  teamName?: (id: string | null) => string,
): object[] {
  const days = new Map<string, Map<string | null, GroupEntry>>();
  for (const r of rows) {
    let groups = days.get(r.day);
    if (!groups) days.set(r.day, (groups = new Map<string | null, GroupEntry>()));
    let e = groups.get(r.grp);
    if (!e) {
      e = { name: r.grp, spend: 0, tokens: 0, prompt: 0, completion: 0, requests: 0, metadata: [] };
      groups.set(r.grp, e);
    }
    const tokens = Number(r.total_tokens);
    e.spend += r.spend;
    e.tokens += tokens;
    e.prompt += Number(r.prompt_tokens);
    e.completion += Number(r.completion_tokens);
    e.requests += Number(r.requests);
    e.metadata.push({
      model: r.model,
      api_key: r.api_key,
      spend: r.spend,
      total_tokens: tokens,
      requests: Number(r.requests),
    });
  }
  return [...days].map(([day, groups]) => ({
    group_by_day: `${day}T00:00:00+00:00`,
    [list]: [...groups.values()].map((e) => ({
      [field]: teamName ? teamName(e.name) : e.name,
      ...(teamName ? { team_id: e.name } : {}),
      ...also,
      total_spend: e.spend,
      total_tokens: e.tokens,
      prompt_tokens: e.prompt,
      completion_tokens: e.completion,
      total_requests: e.requests,
      metadata: e.metadata,
    })),
  }));
}
