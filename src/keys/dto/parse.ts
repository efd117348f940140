import type { z } from 'zod';
import { Errors } from '../../common/errors/gateway-error';

/**
 * Where the input comes from. A body is a JSON object, as LiteLLM's pydantic body models take: a JSON `null` is
 * refused like `[]` or `"x"` (it is no empty body: a route would act on defaults, creating an object of a generated
 * id). `optional body` is a route whose LiteLLM body is `Optional[...] = None` (a null there is no body).
 */
export type InputSource = 'body' | 'optional body' | 'query';

/**
 * Validates a management request body (or query) against a strict zod schema. Unknown fields are refused with a
 * 400 naming each of them; any other problem names the field and what is wrong. Never echoes values (a value could
 * be a secret). A request without a body (nothing sent) reads as `{}`.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, from: InputSource = 'body'): z.output<S> {
  const where = from === 'query' ? 'query' : 'body';
  const value = input === undefined || (input === null && from === 'optional body') ? {} : input;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw Errors.badRequest(`The request ${where} must be a JSON object`);
  let result = schema.safeParse(value);
  if (result.success) return result.data;
  // LiteLLM's bodies are pydantic models whose Optional fields take None for "not given" (Python clients send
  // their unset fields so): a top-level null the field does not take is read as the field left out.
  const nulls = result.error.issues.flatMap((i) =>
    i.code === 'invalid_type' && i.path.length === 1 && (value as Record<PropertyKey, unknown>)[i.path[0]] === null
      ? [i.path[0]]
      : [],
  );
  if (nulls.length > 0) {
    const without: Record<PropertyKey, unknown> = { ...value };
    for (const k of nulls) delete without[k];
    result = schema.safeParse(without);
    if (result.success) return result.data;
  }
  const unknown = result.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys' ? i.keys.map((k) => [...i.path, k].map(String).join('.')) : [],
  );
  if (unknown.length > 0) {
    throw Errors.badRequest(
      `Unknown field${unknown.length > 1 ? 's' : ''} in the request ${where}: ${unknown.join(', ')}`,
      unknown[0],
      'unknown_field',
    );
  }
  const issue = result.error.issues[0];
  const path = issue.path.map(String).join('.');
  throw Errors.badRequest(
    path ? `Invalid ${path}: ${issue.message}` : `Invalid request ${where}: ${issue.message}`,
    path || null,
  );
}
