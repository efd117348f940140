import { Errors } from '../../common/errors/gateway-error';
import type { Operation } from '../providers/provider';
import { REQUEST_SCHEMAS } from './request-schemas';

/**
 * Checks a request body and returns it (the same object: nothing is copied or dropped). A 400 names the first
 * offending field, as `param`.
 */
export function validateBody(op: Operation, body: unknown): Record<string, unknown> {
  if (!isObject(body)) {
    throw Errors.badRequest('The request body must be a JSON object (send content-type: application/json)');
  }
  if (op === 'chat' && isPlainChatBody(body)) return body;
  const result = REQUEST_SCHEMAS[op].safeParse(body);
  if (result.success) return body;
  const issue = result.error.issues[0];
  const param = issue.path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
  throw Errors.badRequest(`Invalid request body: '${param || 'body'}' ${issue.message}`, param || null);
}

/**
 * The usual valid chat body, recognised without zod (whose loose objects copy every field of the body and of each
 * message on every call): true only for a body `chatRequestSchema` accepts. Anything else, valid or not, is left to
 * the schema, which also names the offending field.
 */
export function isPlainChatBody(body: Record<string, unknown>): boolean {
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) return false;
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return false;
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (!isObject(m) || typeof m.role !== 'string') return false;
  }
  if (!isOptionalBoolean(body.stream)) return false;
  const options = body.stream_options;
  if (options === undefined || options === null) return true;
  return isObject(options) && isOptionalBoolean(options.include_usage);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isOptionalBoolean(v: unknown): boolean {
  return v === undefined || v === null || typeof v === 'boolean';
}
