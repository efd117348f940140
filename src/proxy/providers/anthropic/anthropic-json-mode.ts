type Json = Record<string, unknown>;

/**
 * OpenAI's `response_format` (`json_schema`, `json_object`) on anthropic/ models, as LiteLLM does it: the Messages
 * API has no such field, so the schema is offered as a tool the model is made to call, and that call's input comes
 * back as the message's content (the JSON answer), with finish reason `stop`.
 */
export const JSON_TOOL = 'json_tool_call';

/** The schema the answer must follow, when the client asked for a JSON answer; else null. */
export function jsonAnswerSchema(responseFormat: unknown): Json | null {
  if (!isObject(responseFormat)) return null;
  if (responseFormat.type === 'json_object') return { type: 'object', additionalProperties: true };
  if (responseFormat.type !== 'json_schema') return null;
  const spec = responseFormat.json_schema;
  const schema = isObject(spec) && isObject(spec.schema) ? spec.schema : null;
  // A tool's input is an object: a schema of another type is wrapped, as the tool cannot take it.
  return schema && schema.type === 'object' ? schema : { type: 'object', additionalProperties: true };
}

/** Whether the client's request asks for a JSON answer by `response_format`. */
export function wantsJsonAnswer(payload: Readonly<Json> | undefined): boolean {
  return payload !== undefined && jsonAnswerSchema(payload.response_format) !== null;
}

/**
 * Adds the answer tool to a Messages request: forced when the client offers no tools of its own, else offered
 * beside them (the client's `tool_choice` decides).
 */
export function addJsonTool(out: Json, schema: Json): void {
  const tool = { name: JSON_TOOL, description: "Give the answer as this tool's input.", input_schema: schema };
  const own = Array.isArray(out.tools) ? (out.tools as Json[]) : [];
  out.tools = [...own, tool];
  if (own.length === 0) out.tool_choice = { type: 'tool', name: JSON_TOOL };
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
