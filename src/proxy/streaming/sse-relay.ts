import { usageFromObject, type Usage } from './usage';

export const SSE_DONE = 'data: [DONE]\n\n';

/**
 * Passes an upstream Server-Sent-Events stream through, event by event, untouched: complete events are returned
 * as soon as they are in, a partial one waits for its end. On the way it reads the usage (the last chunk with a
 * `usage` object), notes `[DONE]`, and drops the usage-only chunk (`choices: []`) when the gateway asked the
 * upstream for it and the client did not.
 */
export class SseRelay {
  usage: Usage | null = null;
  sawDone = false;
  /** Data events seen: a completion-token estimate when the upstream reports no usage. */
  events = 0;
  private tail = '';

  constructor(private readonly dropUsageChunk: boolean) {}

  /** Text to write to the client now ('' when no event is complete yet). */
  push(text: string): string {
    const data = this.tail.length ? this.tail + text : text;
    let out = '';
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
        out += data.slice(keptFrom, start);
        keptFrom = end;
      }
      start = end;
    }
    this.tail = start < data.length ? data.slice(start) : '';
    if (keptFrom === 0) return start === data.length ? data : data.slice(0, start);
    return out + data.slice(keptFrom, start);
  }

  /** What to write when the upstream stream ended: an unterminated last event, and `[DONE]` if it never came. */
  finish(): string {
    let out = '';
    if (this.tail.trim().length) {
      const event = `${this.tail.replace(/\s+$/, '')}\n\n`;
      this.tail = '';
      out = this.push(event);
    }
    return this.sawDone ? out : out + SSE_DONE;
  }

  private keep(data: string, start: number, end: number): boolean {
    const d = data.indexOf('data:', start);
    if (d < 0 || d >= end) return true; // comment or other field only
    this.events++;
    if (data.startsWith('[DONE]', d + (data.charCodeAt(d + 5) === 0x20 ? 6 : 5))) {
      this.sawDone = true;
      this.events--;
      return true;
    }
    if (!hasUsageObject(data, start, end)) return true;
    const chunk = parseData(data.slice(start, end));
    const usage = usageFromObject(chunk?.usage);
    if (usage) this.usage = usage;
    return !(this.dropUsageChunk && usage && Array.isArray(chunk?.choices) && chunk.choices.length === 0);
  }
}

/** `"usage"` followed by an object (not `null`) within [start, end). Escaped text (`\"usage\"`) never matches. */
function hasUsageObject(data: string, start: number, end: number): boolean {
  for (let at = data.indexOf('"usage"', start); at >= 0 && at < end; at = data.indexOf('"usage"', at + 7)) {
    let i = at + 7;
    while (data.charCodeAt(i) === 0x20) i++;
    if (data.charCodeAt(i) !== 0x3a) continue;
    i++;
    while (data.charCodeAt(i) === 0x20) i++;
    if (data.charCodeAt(i) === 0x7b) return true;
  }
  return false;
}

/** The JSON of an event's `data:` lines (joined with newlines, as SSE defines), or null. */
function parseData(event: string): { usage?: unknown; choices?: unknown[] } | null {
  const lines = event.split(/\r?\n/);
  const parts: string[] = [];
  for (const line of lines) if (line.startsWith('data:')) parts.push(line.slice(line.charCodeAt(5) === 0x20 ? 6 : 5));
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
