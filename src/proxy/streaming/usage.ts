import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
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
const CHOICES_KEY = Buffer.from('"choices"');

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

/** What the relay needs of a streamed chunk: its usage, and whether its `choices` is an empty array (a usage-only chunk). */
export interface ChunkUsage {
  usage: Usage | null;
  emptyChoices: boolean;
}

/**
 * The usage of the streamed chunk whose JSON is `data[from, to)`, read without parsing it: one pass over its top
 * level (strings and nested values stepped over) finds the `usage` and `choices` keys, then the counters are read as
 * in a whole answer. JSON.parse of a whole chunk, once per streamed call, cost more than a microsecond under load
 * (its keys interned, its objects given shapes) for two facts. Undefined when the text is not one object with each
 * key at most once and usage counters in whole numbers: the caller then parses it.
 */
export function usageChunkOf(data: Buffer, from: number, to: number): ChunkUsage | undefined {
  let i = skipSpace(data, from);
  if (data[i] !== 0x7b /* { */) return undefined;
  let depth = 0;
  let usageOpen = -1; // -1: no usage key; -2: a usage that is not an object
  let choices = 0; // 0: no choices key; 1: not an empty array; 2: an empty array
  for (; i < to; i++) {
    const c = data[i];
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) break;
    } else if (c === 0x22) {
      const usageKey = depth === 1 && keyAt(data, i, USAGE_KEY);
      const choicesKey = !usageKey && depth === 1 && keyAt(data, i, CHOICES_KEY);
      const v = usageKey
        ? valueAt(data, i + USAGE_KEY.length)
        : choicesKey
          ? valueAt(data, i + CHOICES_KEY.length)
          : -1;
      if (v >= 0) {
        if (usageKey) {
          if (usageOpen !== -1) return undefined;
          usageOpen = data[v] === 0x7b ? v : -2;
        } else {
          if (choices !== 0) return undefined;
          choices = data[v] === 0x5b && data[skipSpace(data, v + 1)] === 0x5d ? 2 : 1;
        }
        i = v - 1; // the value is read by the loop (its brackets counted)
      } else {
        for (i++; i < to && data[i] !== 0x22; i++) if (data[i] === 0x5c) i++;
      }
    }
  }
  if (depth !== 0 || i >= to || skipSpace(data, i + 1) < to) return undefined; // not closed, or more after it
  if (usageOpen < 0) return { usage: null, emptyChoices: choices === 2 };
  const usage = countersOf(data, usageOpen);
  return usage === undefined ? undefined : { usage, emptyChoices: choices === 2 };
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
      if (--depth === 0)
        return prompt === undefined ? undefined : { promptTokens: prompt, completionTokens: completion ?? 0 };
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

/**
 * `usage` of a parsed OpenAI answer or chunk: `prompt_tokens` / `completion_tokens`, or the Responses API's (and
 * image and transcription answers') `input_tokens` / `output_tokens`.
 */
export function usageFromObject(u: unknown): Usage | null {
  if (!u || typeof u !== 'object') return null;
  const { prompt_tokens, completion_tokens, input_tokens, output_tokens } = u as Record<string, unknown>;
  if (typeof prompt_tokens === 'number')
    return {
      promptTokens: prompt_tokens,
      completionTokens: typeof completion_tokens === 'number' ? completion_tokens : 0,
    };
  if (typeof input_tokens !== 'number') return null;
  return { promptTokens: input_tokens, completionTokens: typeof output_tokens === 'number' ? output_tokens : 0 };
}

/** The most a compressed answer is expanded to, to read its usage: a bound on what a bad upstream can make us hold. */
const MAX_DECODED_BYTES = 64 * 1024 * 1024;

/**
 * The usage of a non-streamed answer the upstream compressed although asked not to (`accept-encoding: identity`):
 * the answer is passed on as it came, and a decoded copy is read only for its usage, so the call is still billed.
 * An encoding this does not know, a body that does not decode or is not JSON: null (no usage).
 */
export function usageOfEncodedAnswer(body: Buffer, encoding: string): Usage | null {
  let decoded: Buffer;
  try {
    const opts = { maxOutputLength: MAX_DECODED_BYTES };
    const e = encoding.trim().toLowerCase();
    if (e === 'gzip' || e === 'x-gzip') decoded = gunzipSync(body, opts);
    else if (e === 'deflate') decoded = inflateSync(body, opts);
    else if (e === 'br') decoded = brotliDecompressSync(body, opts);
    else return null;
  } catch {
    return null;
  }
  const usage = usageOfAnswer(decoded);
  return usage === NOT_JSON ? null : usage;
}
