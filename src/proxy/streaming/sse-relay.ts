import { openAIError } from '../../common/errors/error-body';
import type { OpenAIErrorType } from '../../common/errors/gateway-error';
import { usageChunkOf, usageFromObject, type Usage } from './usage';

export const SSE_DONE = 'data: [DONE]\n\n';
const EMPTY: Buffer = Buffer.alloc(0);
/** The largest event held while waiting for its end: an upstream that never ends one cannot fill the memory. */
export const MAX_SSE_EVENT_BYTES = 4 * 1024 * 1024;
/** An unfinished event longer than this is collected in pieces (see SseRelay.pieces). */
const LONG_EVENT_BYTES = 64 * 1024;

/**
 * Thrown by `push` for an event over MAX_SSE_EVENT_BYTES; its code names the failure (upstream-failure.ts).
 * `complete`: the events of the same chunk that ended before it, still to be written before the stream fails.
 */
export class SseEventTooLarge extends Error {
  readonly code = 'GW_SSE_EVENT_TOO_LARGE';
  constructor(readonly complete: Buffer = EMPTY) {
    super(`an upstream stream event exceeded ${MAX_SSE_EVENT_BYTES} bytes`);
  }
}

/**
 * Passes an upstream Server-Sent-Events stream through, event by event, byte for byte: complete events are
 * returned as soon as they are in (as slices of the received chunk: no decoding, no copy), a partial one waits
 * for its end. On the way it reads the usage (the last chunk with a `usage` object), notes `[DONE]`, and drops
 * the usage-only chunk (`choices: []`) when the gateway asked the upstream for it and the client did not.
 */
export class SseRelay {
  usage: Usage | null = null;
  sawDone = false;
  /** Data events seen: a completion-token estimate when the upstream reports no usage. */
  events = 0;
  private tail: Buffer = EMPTY;
  /**
   * A long unfinished event (over LONG_EVENT_BYTES): its pieces, kept as they came until a chunk may hold its end, so
   * a big event sent in small chunks costs linear time, not a copy and a rescan of all of it per chunk.
   */
  private pieces: Buffer[] | null = null;
  private piecesBytes = 0;
  /** The last bytes of the pieces (up to 3): a separator may be cut across several small pieces. */
  private piecesEnd: Buffer = EMPTY;

  constructor(
    private readonly dropUsageChunk: boolean,
    /** Chat and completions streams end with `[DONE]`; the Responses API's do not. */
    private readonly endWithDone = true,
  ) {}

  /** Bytes to write to the client now (empty when no event is complete yet). Throws SseEventTooLarge. */
  push(chunk: Buffer): Buffer {
    let data: Buffer;
    if (this.pieces !== null) {
      this.piecesBytes += chunk.length;
      if (this.piecesBytes > MAX_SSE_EVENT_BYTES) throw new SseEventTooLarge();
      const end = this.piecesEnd;
      this.pieces.push(chunk);
      this.piecesEnd = lastBytes(end, chunk);
      if (!mayEndEvent(end, chunk)) return EMPTY;
      data = Buffer.concat(this.pieces, this.piecesBytes);
      this.pieces = null;
    } else {
      data = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    }
    // Searched as a latin1 string: one byte per char, so string offsets are byte offsets (and string search is
    // far faster than Buffer#indexOf). Separators and keys are ASCII, so multi-byte characters never confuse it.
    const text = data.toString('latin1');
    let kept: Buffer[] | null = null;
    let keptFrom = 0;
    let start = 0;
    // Positions of the next separators; -1 once known absent (so a chunk is scanned once, not once per event).
    // CRLF separators are looked for only when the chunk has a CR at all (a one-character scan).
    let lf = -2;
    let crlf = text.indexOf('\r') === -1 ? -1 : -2;
    // Where `"usage"` is: looked for once per chunk, then again only past an event that held it.
    let usage = findUsageKey(text, 0);
    for (;;) {
      if (lf !== -1 && lf < start) lf = text.indexOf('\n\n', start);
      if (crlf !== -1 && crlf < start) crlf = text.indexOf('\r\n\r\n', start);
      let end: number;
      if (crlf >= 0 && (lf < 0 || crlf < lf)) end = crlf + 4;
      else if (lf >= 0) end = lf + 2;
      else break;
      if (usage !== -1 && usage < start) usage = findUsageKey(text, start);
      if (!this.keep(text, data, start, end, usage >= 0 && usage < end ? usage : -1)) {
        (kept ??= []).push(data.subarray(keptFrom, start));
        keptFrom = end;
      }
      start = end;
    }
    let out: Buffer;
    if (kept === null) out = start === data.length ? data : data.subarray(0, start);
    else {
      kept.push(data.subarray(keptFrom, start));
      out = Buffer.concat(kept);
    }
    const left = data.length - start;
    if (left > MAX_SSE_EVENT_BYTES) throw new SseEventTooLarge(out);
    this.tail = start < data.length ? Buffer.from(data.subarray(start)) : EMPTY;
    if (left > LONG_EVENT_BYTES) {
      this.pieces = [this.tail];
      this.piecesBytes = left;
      this.piecesEnd = lastBytes(EMPTY, this.tail);
      this.tail = EMPTY;
    }
    return out;
  }

  /** What to write when the upstream stream ended: an unterminated last event, and `[DONE]` if it never came. */
  finish(): Buffer {
    if (this.pieces !== null) {
      this.tail = Buffer.concat(this.pieces, this.piecesBytes);
      this.pieces = null;
    }
    let out: Buffer = EMPTY;
    if (this.tail.length && this.tail.toString('latin1').trim().length) {
      const event = Buffer.from(`${this.tail.toString('utf8').replace(/\s+$/, '')}\n\n`);
      this.tail = EMPTY;
      out = this.push(event);
    }
    return this.sawDone || !this.endWithDone ? out : Buffer.concat([out, Buffer.from(SSE_DONE)]);
  }

  /** `usageAt`: the first `"usage"` inside the event, or -1. */
  private keep(text: string, data: Buffer, start: number, end: number, usageAt: number): boolean {
    // The usual event starts with its data line: no search for it.
    const d = startsWithData(text, start) ? start : text.indexOf('data:', start);
    if (d < 0 || d >= end) return true; // comment or other fields only
    const value = d + (text.charCodeAt(d + 5) === 0x20 ? 6 : 5);
    if (isDone(text, value)) {
      this.sawDone = true;
      return true;
    }
    this.events++;
    if (usageAt < 0 || !hasUsageObject(text, usageAt, end)) return true;
    // One `data:` line (the usual case): its value read by a scan, or parsed when unusual; several: joined as SSE defines.
    const lineEnd = text.indexOf('\n', value);
    const single = lineEnd === -1 || lineEnd >= end - 2 || !text.startsWith('data:', lineEnd + 1);
    const valueEnd = lineEnd === -1 ? end : lineEnd;
    const read = single ? usageChunkOf(data, value, valueEnd) : undefined;
    if (read !== undefined) {
      if (read.usage) this.usage = read.usage;
      return !(this.dropUsageChunk && read.usage && read.emptyChoices);
    }
    const chunk = single
      ? parseJson(data.toString('utf8', value, valueEnd))
      : parseData(data.toString('utf8', start, end));
    const usage = usageFromObject(chunk?.usage);
    if (usage) this.usage = usage;
    return !(this.dropUsageChunk && usage && Array.isArray(chunk?.choices) && chunk.choices.length === 0);
  }
}

/** The last 3 bytes of `before` followed by `chunk`. */
function lastBytes(before: Buffer, chunk: Buffer): Buffer {
  if (chunk.length >= 3) return Buffer.from(chunk.subarray(chunk.length - 3));
  const both = Buffer.concat([before, chunk]);
  return both.subarray(Math.max(0, both.length - 3));
}

/** Whether an event could end in `chunk` (a blank line in it, or across its start and the end of what came before). */
function mayEndEvent(previousEnd: Buffer, chunk: Buffer): boolean {
  const seam = Buffer.concat([previousEnd, chunk.subarray(0, 3)]).toString('latin1');
  if (seam.includes('\n\n') || seam.includes('\r\n\r\n')) return true;
  return chunk.includes('\n\n') || chunk.includes('\r\n\r\n');
}

/** `data:` at `at` (compared by char codes: no search, no substring). */
function startsWithData(text: string, at: number): boolean {
  return (
    text.charCodeAt(at) === 0x64 &&
    text.charCodeAt(at + 1) === 0x61 &&
    text.charCodeAt(at + 2) === 0x74 &&
    text.charCodeAt(at + 3) === 0x61 &&
    text.charCodeAt(at + 4) === 0x3a
  );
}

/** `[DONE]` at `at`. */
function isDone(text: string, at: number): boolean {
  return text.charCodeAt(at) === 0x5b && text.charCodeAt(at + 1) === 0x44 && text.startsWith('[DONE]', at);
}

/**
 * The next `"usage"` from `from`. Searched as `usage"` and checked for the quote before it: V8 searches a pattern
 * of 7 characters or more with Boyer-Moore-Horspool, whose table it builds on every call,
 * and a shorter one with a plain scan for its first character (rare here: `u`, not the ubiquitous quote).
 */
function findUsageKey(text: string, from: number): number {
  for (let at = text.indexOf('usage"', from + 1); at !== -1; at = text.indexOf('usage"', at + 6)) {
    if (text.charCodeAt(at - 1) === 0x22) return at - 1;
  }
  return -1;
}

/** A `"usage"` key from `first` on, within [first, end), followed by an object (not `null`). Escaped text never matches. */
function hasUsageObject(text: string, first: number, end: number): boolean {
  for (let at = first; at >= 0 && at < end; at = findUsageKey(text, at + 7)) {
    let i = at + 7;
    while (text.charCodeAt(i) === 0x20) i++;
    if (text.charCodeAt(i) !== 0x3a) continue;
    i++;
    while (text.charCodeAt(i) === 0x20) i++;
    if (text.charCodeAt(i) === 0x7b) return true;
  }
  return false;
}

type Chunk = { usage?: unknown; choices?: unknown[] } | null;

/** The JSON of an event's `data:` lines (joined with newlines, as SSE defines), or null. */
function parseData(event: string): Chunk {
  const parts: string[] = [];
  for (const line of event.split(/\r?\n/))
    if (line.startsWith('data:')) parts.push(line.slice(line.charCodeAt(5) === 0x20 ? 6 : 5));
  return parseJson(parts.join('\n'));
}

function parseJson(text: string): Chunk {
  try {
    return JSON.parse(text) as Chunk;
  } catch {
    return null;
  }
}

/** An SSE event carrying an OpenAI-shaped error, for failures after the stream started. */
export function sseError(message: string, code: string, type: OpenAIErrorType = 'api_error'): string {
  return `data: ${openAIError(500, message, code, null, type)}\n\n`;
}
