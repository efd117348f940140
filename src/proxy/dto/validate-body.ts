import { Errors } from '../../common/errors/gateway-error';
import { isStorableText, NOT_STORABLE } from '../../keys/dto/storable';
import type { Operation } from '../providers/provider';

/**
 * The model-call bodies, checked only where the gateway depends on them: every other field (and every field the OpenAI
 * API adds next month) passes through untouched, and the body is handed back as it came (nothing copied or dropped).
 *
 * Plain checks that stop at the first problem, not a schema library: a body is up to 10 MB, and a validator that
 * records an issue per bad element (or tries each form of `input` over the whole array) turns one 10 MB body of
 * `{}` elements into millions of issue objects: a blocked event loop, then an out-of-memory crash.
 * Each check here is one pass that ends at the first bad element; a 400 names it, as `param`.
 */
interface Problem {
  readonly param: string;
  readonly message: string;
}

export function validateBody(op: Operation, body: unknown): Record<string, unknown> {
  if (!isObject(body)) {
    throw Errors.badRequest('The request body must be a JSON object (send content-type: application/json)');
  }
  const problem =
    modelProblem(body.model) ??
    userProblem(body.user) ??
    (op === 'chat'
      ? chatProblem(body)
      : op === 'embeddings'
        ? inputProblem(body.input)
        : op === 'messages' || op === 'count_tokens'
          ? messagesProblem(body)
          : otherProblem(op, body));
  if (problem) throw Errors.badRequest(`Invalid request body: '${problem.param}' ${problem.message}`, problem.param);
  return body;
}

function modelProblem(model: unknown): Problem | null {
  if (typeof model !== 'string')
    return { param: 'model', message: 'is required and must be a string (the model group name)' };
  return model.length === 0 ? { param: 'model', message: 'must not be empty' } : null;
}

/** Longest end user id: what /customer/* takes, and what a spend log row keeps. */
const MAX_END_USER = 256;

/**
 * The end user a call is counted against: an id the database can hold, and that /customer/* and the call's spend
 * log row name as it is (a longer one would be counted under an id its rows do not show).
 */
function userProblem(user: unknown): Problem | null {
  if (typeof user !== 'string') return null;
  if (user.length > MAX_END_USER) return { param: 'user', message: `must be at most ${MAX_END_USER} characters` };
  return isStorableText(user) ? null : { param: 'user', message: NOT_STORABLE };
}

function chatProblem(body: Record<string, unknown>): Problem | null {
  const messages = body.messages;
  if (!Array.isArray(messages)) return { param: 'messages', message: 'is required and must be an array of messages' };
  if (messages.length === 0) return { param: 'messages', message: 'must hold at least one message' };
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (!isObject(m)) return { param: `messages[${i}]`, message: 'must be an object (a message with a role)' };
    if (typeof m.role !== 'string')
      return { param: `messages[${i}].role`, message: 'is required and must be a string' };
  }
  if (!isOptionalBoolean(body.stream)) return { param: 'stream', message: 'must be a boolean' };
  const options = body.stream_options;
  if (options === undefined || options === null) return null;
  if (!isObject(options)) return { param: 'stream_options', message: 'must be an object' };
  return isOptionalBoolean(options.include_usage)
    ? null
    : { param: 'stream_options.include_usage', message: 'must be a boolean' };
}

/** Anthropic's Messages body: the messages the gateway reads nothing of but that the call needs, and `stream`. */
function messagesProblem(body: Record<string, unknown>): Problem | null {
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    return { param: 'messages', message: 'is required and must be a non-empty array of messages' };
  for (let i = 0; i < messages.length; i++)
    if (!isObject(messages[i]))
      return { param: `messages[${i}]`, message: 'must be an object (a message with a role)' };
  return isOptionalBoolean(body.stream) ? null : { param: 'stream', message: 'must be a boolean' };
}

/**
 * The other JSON operations: the fields the gateway reads (`stream`) and those without which the upstream could only
 * refuse the call; the rest is the upstream's to judge.
 */
function otherProblem(op: Operation, body: Record<string, unknown>): Problem | null {
  if (!isOptionalBoolean(body.stream)) return { param: 'stream', message: 'must be a boolean' };
  switch (op) {
    case 'completions':
      return body.prompt === undefined ? { param: 'prompt', message: 'is required' } : null;
    case 'moderations':
      return body.input === undefined ? { param: 'input', message: 'is required' } : null;
    case 'images':
      return typeof body.prompt !== 'string' ? { param: 'prompt', message: 'is required and must be a string' } : null;
    case 'speech':
      return typeof body.input !== 'string' ? { param: 'input', message: 'is required and must be a string' } : null;
    default:
      return null;
  }
}

const INPUT_FORMS = 'a string, an array of strings, an array of token ids (integers) or an array of token arrays';

/** Embeddings `input`: its form is taken from the first element, and every element must then have that form. */
function inputProblem(input: unknown): Problem | null {
  if (typeof input === 'string') return null;
  if (!Array.isArray(input)) return { param: 'input', message: `is required: ${INPUT_FORMS}` };
  if (input.length === 0) return { param: 'input', message: 'must not be an empty array' };
  const first: unknown = input[0];
  if (typeof first === 'string') {
    for (let i = 1; i < input.length; i++)
      if (typeof input[i] !== 'string')
        return { param: `input[${i}]`, message: 'must be a string, like the first element' };
    return null;
  }
  if (typeof first === 'number') {
    const bad = firstNonToken(input);
    return bad === -1
      ? null
      : { param: `input[${bad}]`, message: 'must be a token id (an integer), like the first element' };
  }
  if (Array.isArray(first)) {
    for (let i = 0; i < input.length; i++) {
      const tokens: unknown = input[i];
      if (!Array.isArray(tokens))
        return { param: `input[${i}]`, message: 'must be an array of token ids, like the first element' };
      if (tokens.length === 0) return { param: `input[${i}]`, message: 'must not be an empty token array' };
      const bad = firstNonToken(tokens);
      if (bad !== -1) return { param: `input[${i}][${bad}]`, message: 'must be a token id (an integer)' };
    }
    return null;
  }
  return { param: 'input[0]', message: `must be a string, a token id or a token array (input is ${INPUT_FORMS})` };
}

/** The index of the first element that is not a safe integer, or -1. */
function firstNonToken(values: unknown[]): number {
  for (let i = 0; i < values.length; i++) if (!Number.isSafeInteger(values[i])) return i;
  return -1;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isOptionalBoolean(v: unknown): boolean {
  return v === undefined || v === null || typeof v === 'boolean';
}
