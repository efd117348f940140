import type { SpendLogRow } from './spend-log-row';

/** The columns of a spend log row, in the order both ways of writing rows give them (`toCopyData`, the JSON INSERT). */
const ROW_COLUMNS = [
  'id',
  'request_id',
  'call_type',
  'api_key',
  'key_alias',
  'team_id',
  'user',
  'end_user',
  'model',
  'model_id',
  'api_base',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'spend',
  'start_time',
  'end_time',
  'completion_start_time',
  'status',
  'status_code',
  'request_tags',
] as const;

/** `"id", "request_id", ...`: a row's columns in the order rows are written. */
export const ROW_COLUMN_LIST = ROW_COLUMNS.map((c) => `"${c}"`).join(', ');

/** `"spend_logs" ("id", "request_id", ...)`: the target of a COPY or an INSERT of whole rows. */
export const ROW_TARGET = `"spend_logs" (${ROW_COLUMN_LIST})`;

export const COPY_ROWS = `COPY ${ROW_TARGET} FROM STDIN`;
/** The rows of a `BinaryRows`. */
export const COPY_BINARY = `${COPY_ROWS} (FORMAT binary)`;

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Whether `v` holds a character COPY's text format gives a meaning to (backslash, tab, line feed, carriage return). */
function special(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 92 || c === 9 || c === 10 || c === 13) return true;
  }
  return false;
}

/** Set when a field of the rows being written needed an escape (see `plainCopyData`). */
let escaped = false;

function text(v: string): string {
  if (!special(v)) return v;
  escaped = true;
  return v.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]);
}

function orNull(v: string | null): string {
  return v === null ? '\\N' : text(v);
}

/** A text[] literal: every element quoted, its quotes and backslashes escaped (then escaped again for COPY). */
function array(tags: readonly string[]): string {
  if (tags.length === 0) return '{}';
  return text(`{${tags.map((t) => `"${t.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`);
}

/** ISO-8601 instants; the whole second is formatted once per second (V8's own Date formatting is costly). */
let lastSecond = NaN;
let lastPrefix = '';
function instant(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  const frac = ms - second * 1000;
  return `${lastPrefix}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}

/**
 * The caller's columns (`call_type` to `end_user`), escaped: the previous row's text is reused while they are equal
 * (a batch is mostly one caller's calls).
 */
let previous: SpendLogRow | undefined;
let previousCaller = '';
function callerColumns(r: SpendLogRow): string {
  const p = previous;
  if (
    p !== undefined &&
    r.callType === p.callType &&
    r.apiKey === p.apiKey &&
    r.keyAlias === p.keyAlias &&
    r.teamId === p.teamId &&
    r.user === p.user &&
    r.endUser === p.endUser
  )
    return previousCaller;
  previous = r;
  previousCaller =
    `${r.callType}\t${r.apiKey ?? '\\N'}\t${orNull(r.keyAlias)}\t${orNull(r.teamId)}\t${orNull(r.user)}\t` +
    orNull(r.endUser);
  return previousCaller;
}

/**
 * The deployment's columns (`model` to `api_base`), escaped, kept per deployment id: a group's calls alternate
 * between its deployments, so the previous row's would rarely match.
 */
interface DeploymentColumns {
  readonly model: string;
  readonly apiBase: string | null;
  readonly text: string;
}
const deployments = new Map<string, DeploymentColumns>();
function deploymentColumns(r: SpendLogRow): string {
  const known = r.modelId === null ? undefined : deployments.get(r.modelId);
  if (known !== undefined && known.model === r.model && known.apiBase === r.apiBase) return known.text;
  const columns = `${text(r.model)}\t${orNull(r.modelId)}\t${orNull(r.apiBase)}`;
  if (r.modelId !== null) deployments.set(r.modelId, { model: r.model, apiBase: r.apiBase, text: columns });
  return columns;
}

/**
 * Rows as the body of `COPY ... FROM STDIN` (text format, one line a row). The row id (hex and base 36), the key's
 * hash (hex), the call type and status (fixed words) are written as they are.
 */
export function toCopyData(rows: readonly SpendLogRow[]): string {
  let out = '';
  try {
    for (const r of rows) {
      out +=
        `${r.id}\t${text(r.requestId)}\t${callerColumns(r)}\t${deploymentColumns(r)}\t${r.promptTokens}\t${r.completionTokens}\t` +
        `${r.promptTokens + r.completionTokens}\t${r.spend}\t${instant(r.startTime)}\t${instant(r.endTime)}\t` +
        `${r.completionStartTime === null ? '\\N' : instant(r.completionStartTime)}\t${r.status}\t${r.statusCode}\t` +
        `${array(r.requestTags)}\n`;
    }
  } finally {
    // The memos are per batch: even one that threw half-way lends nothing to the next.
    previous = undefined;
    deployments.clear();
  }
  return out;
}

/**
 * The same text when no field needed an escape, else undefined: such text splits on tabs and line feeds with no
 * decoding, which is how the embedded store reads it (`PLAIN_ROWS_INSERT`).
 */
export function plainCopyData(rows: readonly SpendLogRow[]): string | undefined {
  escaped = false;
  const data = toCopyData(rows);
  return escaped ? undefined : data;
}

/**
 * Rows in COPY's text format, none escaped, as one parameter of an INSERT, for a store that does not speak COPY:
 * splitting text costs the embedded store (PostgreSQL in WebAssembly) a fraction of parsing the rows as JSON. The
 * subquery is kept whole (OFFSET 0) so each line is split once, not once per column.
 */
export const PLAIN_ROWS_INSERT = `INSERT INTO ${ROW_TARGET}
SELECT a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]::int, a[13]::int, a[14]::int,
  a[15]::float8, a[16]::timestamptz, a[17]::timestamptz, a[18]::timestamptz, a[19], a[20]::int, a[21]::text[]
FROM (SELECT string_to_array(l, E'\\t', E'\\\\N') AS a FROM string_to_table($1, E'\\n') AS l WHERE l <> '' OFFSET 0) AS s`;
