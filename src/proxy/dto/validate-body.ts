import { Errors } from '../../common/errors/gateway-error';
import type { Operation } from '../providers/provider';
import { REQUEST_SCHEMAS } from './request-schemas';

/**
 * Checks a request body and returns it (the same object: nothing is copied or dropped). A 400 names the first
 * offending field, as `param`.
 */
export function validateBody(op: Operation, body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw Errors.badRequest('The request body must be a JSON object (send content-type: application/json)');
  }
  const result = REQUEST_SCHEMAS[op].safeParse(body);
  if (result.success) return body as Record<string, unknown>;
  const issue = result.error.issues[0];
  const param = issue.path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
  throw Errors.badRequest(`Invalid request body: '${param || 'body'}' ${issue.message}`, param || null);
}
