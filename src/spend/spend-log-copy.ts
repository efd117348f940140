/** The columns of a spend log row, in the order every way of writing rows gives them (binary, text, JSON). */
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

/**
 * Rows in COPY's text format, none escaped, as one parameter of an INSERT, for a store that does not speak COPY:
 * splitting text costs the embedded store (PostgreSQL in WebAssembly) a fraction of parsing the rows as JSON. The
 * subquery is kept whole (OFFSET 0) so each line is split once, not once per column.
 */
export const PLAIN_ROWS_INSERT = `INSERT INTO ${ROW_TARGET}
SELECT a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12]::int, a[13]::int, a[14]::int,
  a[15]::float8, a[16]::timestamptz, a[17]::timestamptz, a[18]::timestamptz, a[19], a[20]::int, a[21]::text[]
FROM (SELECT string_to_array(l, E'\\t', E'\\\\N') AS a FROM string_to_table($1, E'\\n') AS l WHERE l <> '' OFFSET 0) AS s`;
