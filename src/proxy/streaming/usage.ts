/** Token counts of one call, as the upstream reported them (or as estimated when it did not). */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

const USAGE_KEY = Buffer.from('"usage"');
// Encoded once: Buffer#indexOf with a string needle encodes it on every call.
const PROMPT_KEY = Buffer.from('"prompt_tokens"');
const COMPLETION_KEY = Buffer.from('"completion_tokens"');

/** JSON whitespace. */
const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Reads `usage` from an OpenAI JSON answer without parsing the whole body: the last `"usage"` key, its object,
 * and the two counters in it. Falls back to JSON.parse when the text is unusual. Null when there is no usage.
 */
export function usageFromJson(body: Buffer): Usage | null {
  const at = body.lastIndexOf(USAGE_KEY);
  if (at < 0) return null;
  let i = skipSpace(body, at + USAGE_KEY.length);
  if (body[i] !== 0x3a /* : */) return usageByParse(body);
  i = skipSpace(body, i + 1);
  if (body[i] !== 0x7b /* { */) return null; // "usage": null
  const end = objectEnd(body, i);
  if (end < 0) return usageByParse(body);
  const prompt = counter(body, i, end, PROMPT_KEY);
  const completion = counter(body, i, end, COMPLETION_KEY);
  if (prompt === undefined) return usageByParse(body);
  return { promptTokens: prompt, completionTokens: completion ?? 0 };
}

/** A 2xx answer whose body is not a JSON object: an HTML error page, a truncated or empty body. */
export const NOT_JSON = Symbol('not JSON');

/**
 * The usage of a non-streamed answer, checking on the way that the body is a JSON object. The usual answer (braces
 * at both ends, usage found by the scan) costs no parse; one without usage is parsed to tell "no usage" from
 * "not JSON".
 */
export function usageOfAnswer(body: Buffer): Usage | null | typeof NOT_JSON {
  let first = 0;
  let last = body.length - 1;
  while (first <= last && isSpace(body[first])) first++;
  while (last >= first && isSpace(body[last])) last--;
  if (body[first] !== 0x7b /* { */ || body[last] !== 0x7d /* } */) return NOT_JSON;
  const usage = usageFromJson(body);
  if (usage !== null) return usage;
  try {
    return usageFromObject((JSON.parse(body.toString('utf8')) as { usage?: unknown }).usage);
  } catch {
    return NOT_JSON;
  }
}

/** Index of the `}` closing the object opened at `open` (usage holds numbers and small objects, no strings with braces). */
function objectEnd(body: Buffer, open: number): number {
  let depth = 0;
  for (let i = open; i < body.length; i++) {
    if (body[i] === 0x7b) depth++;
    else if (body[i] === 0x7d && --depth === 0) return i;
  }
  return -1;
}

/** The whole number after `"key":` within [from, end); the exact quoted key, so `prompt_tokens_details` never matches. */
function counter(body: Buffer, from: number, end: number, key: Buffer): number | undefined {
  const at = body.indexOf(key, from);
  if (at < 0 || at > end) return undefined;
  let i = skipSpace(body, at + key.length);
  if (body[i] !== 0x3a) return undefined;
  i = skipSpace(body, i + 1);
  const start = i;
  let n = 0;
  while (body[i] >= 0x30 && body[i] <= 0x39) n = n * 10 + (body[i++] - 0x30);
  return i > start ? n : undefined;
}

function skipSpace(body: Buffer, i: number): number {
  while (isSpace(body[i])) i++;
  return i;
}

function usageByParse(body: Buffer): Usage | null {
  try {
    return usageFromObject((JSON.parse(body.toString('utf8')) as { usage?: unknown }).usage);
  } catch {
    return null;
  }
}

/** `usage` of a parsed OpenAI answer or chunk. */
export function usageFromObject(u: unknown): Usage | null {
  if (!u || typeof u !== 'object') return null;
  const { prompt_tokens, completion_tokens } = u as { prompt_tokens?: unknown; completion_tokens?: unknown };
  if (typeof prompt_tokens !== 'number') return null;
  return { promptTokens: prompt_tokens, completionTokens: typeof completion_tokens === 'number' ? completion_tokens : 0 };
}
