/** The columns of a spend log row, in the order a batch's rows give them. */
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

/** The rows of a `BinaryRows`. */
export const COPY_BINARY = `COPY ${ROW_TARGET} FROM STDIN (FORMAT binary)`;
