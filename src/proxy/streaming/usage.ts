/** Token counts of one call, as the upstream reported them (or as estimated when it did not). */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

const USAGE_KEY = Buffer.from('"usage"');
// Encoded once (USAGE_KEY: Buffer#lastIndexOf with a string needle would encode it on every call); the counter keys
// are compared byte by byte inside the usage object.
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
  return countersOf(body, i) ?? usageByParse(body);
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

/**
 * The counters of the usage object opened at `open`, in one pass over its bytes: `prompt_tokens` and
 * `completion_tokens` at its top level (the `*_details` objects inside are stepped over), by their exact quoted keys,
 * so `prompt_tokens_details` never matches. Undefined when the object does not close, has no `prompt_tokens`, or a
 * counter is a number but not a plain whole number (the caller then parses). One pass instead of a scan for the
 * closing brace and a search per key: Buffer#indexOf builds a Boyer-Moore table on every call.
 */
function countersOf(body: Buffer, open: number): Usage | undefined {
  let depth = 0;
  let prompt: number | undefined;
  let completion: number | undefined;
  for (let i = open; i < body.length; i++) {
    const c = body[i];
    if (c === 0x7b) depth++;
    else if (c === 0x7d) {
      if (--depth === 0) return prompt === undefined ? undefined : { promptTokens: prompt, completionTokens: completion ?? 0 };
    } else if (c === 0x22) {
      if (depth === 1 && prompt === undefined && keyAt(body, i, PROMPT_KEY)) {
        prompt = counterAfter(body, i + PROMPT_KEY.length);
        if (prompt === undefined) return undefined;
        i += PROMPT_KEY.length - 1;
      } else if (depth === 1 && completion === undefined && keyAt(body, i, COMPLETION_KEY)) {
        completion = counterAfter(body, i + COMPLETION_KEY.length);
        // Not a whole number: another number (the caller parses), or not a number at all (counts 0, as parsed).
        if (completion === undefined && isNumberStart(body[valueAt(body, i + COMPLETION_KEY.length)])) return undefined;
        completion ??= 0;
        i += COMPLETION_KEY.length - 1;
      } else {
        // Any other string: stepped over whole, so a brace inside it is not counted.
        for (i++; i < body.length && body[i] !== 0x22; i++) if (body[i] === 0x5c) i++;
      }
    }
  }
  return undefined;
}

function keyAt(body: Buffer, at: number, key: Buffer): boolean {
  for (let k = 0; k < key.length; k++) if (body[at + k] !== key[k]) return false;
  return true;
}

/** Where the value after `:` at `i` starts (spaces allowed around the colon), or -1 when no colon follows. */
function valueAt(body: Buffer, i: number): number {
  i = skipSpace(body, i);
  return body[i] === 0x3a ? skipSpace(body, i + 1) : -1;
}

/**
 * The whole number after `:` at `i`, or undefined (no colon, not a number, a fraction or an exponent, or more than 15
 * digits: summed digit by digit, a number past 2^53 would not round as JSON.parse rounds it).
 */
function counterAfter(body: Buffer, i: number): number | undefined {
  i = valueAt(body, i);
  if (i < 0) return undefined;
  const start = i;
  let n = 0;
  while (body[i] >= 0x30 && body[i] <= 0x39) n = n * 10 + (body[i++] - 0x30);
  const next = body[i];
  return i > start && i - start <= 15 && next !== 0x2e && next !== 0x65 && next !== 0x45 ? n : undefined;
}

const isNumberStart = (c: number | undefined) => c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39);

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
