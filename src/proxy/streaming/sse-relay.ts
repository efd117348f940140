import { usageFromObject, type Usage } from './usage';

export const SSE_DONE = 'data: [DONE]\n\n';
const DONE = Buffer.from('[DONE]');
const EMPTY: Buffer = Buffer.alloc(0);

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

  constructor(private readonly dropUsageChunk: boolean) {}

  /** Bytes to write to the client now (empty when no event is complete yet). */
  push(chunk: Buffer): Buffer {
    const data = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    let kept: Buffer[] | null = null;
    let keptFrom = 0;
    let start = 0;
    // Positions of the next separators; -1 once known absent (so a chunk is scanned once, not once per event).
    let lf = -2;
    let crlf = -2;
    for (;;) {
      if (lf !== -1 && lf < start) lf = data.indexOf('\n\n', start);
      if (crlf !== -1 && crlf < start) crlf = data.indexOf('\r\n\r\n', start);
      let end: number;
      if (crlf >= 0 && (lf < 0 || crlf < lf)) end = crlf + 4;
      else if (lf >= 0) end = lf + 2;
      else break;
      if (!this.keep(data, start, end)) {
        (kept ??= []).push(data.subarray(keptFrom, start));
        keptFrom = end;
      }
      start = end;
    }
    this.tail = start < data.length ? Buffer.from(data.subarray(start)) : EMPTY;
    if (kept === null) return start === data.length ? data : data.subarray(0, start);
    kept.push(data.subarray(keptFrom, start));
    return Buffer.concat(kept);
  }

  /** What to write when the upstream stream ended: an unterminated last event, and `[DONE]` if it never came. */
  finish(): Buffer {
    let out: Buffer = EMPTY;
    if (this.tail.toString('latin1').trim().length) {
      const event = Buffer.from(`${this.tail.toString('utf8').replace(/\s+$/, '')}\n\n`);
      this.tail = EMPTY;
      out = this.push(event);
    }
    return this.sawDone ? out : Buffer.concat([out, Buffer.from(SSE_DONE)]);
  }

  private keep(data: Buffer, start: number, end: number): boolean {
    const d = data.indexOf('data:', start);
    if (d < 0 || d >= end) return true; // comment or other fields only
    const value = d + (data[d + 5] === 0x20 ? 6 : 5);
    if (value + DONE.length <= end && data.compare(DONE, 0, DONE.length, value, value + DONE.length) === 0) {
      this.sawDone = true;
      return true;
    }
    this.events++;
    if (!hasUsageObject(data, start, end)) return true;
    const chunk = parseData(data.toString('utf8', start, end));
    const usage = usageFromObject(chunk?.usage);
    if (usage) this.usage = usage;
    return !(this.dropUsageChunk && usage && Array.isArray(chunk?.choices) && chunk.choices.length === 0);
  }
}

/** `"usage"` followed by an object (not `null`) within [start, end). Escaped text (`\"usage\"`) never matches. */
function hasUsageObject(data: Buffer, start: number, end: number): boolean {
  for (let at = data.indexOf('"usage"', start); at >= 0 && at < end; at = data.indexOf('"usage"', at + 7)) {
    let i = at + 7;
    while (data[i] === 0x20) i++;
    if (data[i] !== 0x3a) continue;
    i++;
    while (data[i] === 0x20) i++;
    if (data[i] === 0x7b) return true;
  }
  return false;
}

/** The JSON of an event's `data:` lines (joined with newlines, as SSE defines), or null. */
function parseData(event: string): { usage?: unknown; choices?: unknown[] } | null {
  const parts: string[] = [];
  for (const line of event.split(/\r?\n/)) if (line.startsWith('data:')) parts.push(line.slice(line.charCodeAt(5) === 0x20 ? 6 : 5));
  try {
    return JSON.parse(parts.join('\n')) as { usage?: unknown; choices?: unknown[] };
  } catch {
    return null;
  }
}

/** An SSE event carrying an OpenAI-shaped error, for failures after the stream started. */
export function sseError(message: string, code: string, type = 'api_error'): string {
  return `data: ${JSON.stringify({ error: { message, type, param: null, code } })}\n\n`;
}
