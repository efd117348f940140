import type { SpendLogRow } from '../../src/spend/spend-log-row';

/** A spend log row of no caller and no deployment, for writing straight to the store; `over` replaces fields. */
export function plainRow(id: string, at: number, spend: number, over: Partial<SpendLogRow> = {}): SpendLogRow {
  return {
    id,
    requestId: id,
    callType: 'acompletion',
    apiKey: null,
    keyAlias: null,
    teamId: null,
    user: null,
    endUser: null,
    model: 'm',
    modelId: null,
    apiBase: null,
    promptTokens: 1,
    completionTokens: 1,
    spend,
    startTime: at,
    endTime: at,
    completionStartTime: at,
    status: 'success',
    statusCode: 200,
    requestTags: [],
    ...over,
  };
}

/**
 * A pattern matching the daily partitions' own indexes of the spend log's `parents` indexes, as plans name them:
 * PostgreSQL names a partition's index after its columns or expression, not after the index it belongs to.
 */
export async function partitionIndexes(
  client: { query<R>(sql: string, params: unknown[]): Promise<{ rows: R[] }> },
  parents: readonly string[],
): Promise<string> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = ANY($1::regclass[]) AND c.relname ~ '^spend_logs_[0-9]{8}_'`,
    [parents],
  );
  if (rows.length === 0) throw new Error(`no daily partition has an index of ${parents.join(', ')}`);
  return `(${rows.map((r) => r.name).join('|')})\\b`;
}

/** The spend log's indexes of each filter column. */
export const SPEND_LOG_INDEX = {
  api_key: 'spend_logs_api_key_start_time_idx',
  team_id: 'spend_logs_team_id_start_time_idx',
  user: 'spend_logs_user_start_time_idx',
  request_id: 'spend_logs_request_id_idx',
} as const;
