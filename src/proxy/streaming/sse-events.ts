import { MAX_SSE_EVENT_BYTES, SseEventTooLarge } from './sse-relay';

/** One Server-Sent Event: its `event:` name ('' when none) and its `data:` lines joined. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into whole events, for streams the gateway reads rather than relays byte for byte (a provider
 * whose events are translated, or whose usage sits in named events). A partial event waits for its end; an event
 * longer than MAX_SSE_EVENT_BYTES fails the stream.
 */
export class SseEventSplitter {
  private tail: Buffer = EMPTY;

  /** The events completed by `chunk`, with the bytes they span (the caller may pass those on unchanged). */
  push(chunk: Buffer): { events: SseEvent[]; bytes: Buffer } {
    const data = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    const text = data.toString('latin1');
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const lf = text.indexOf('\n\n', start);
      const crlf = text.indexOf('\r\n\r\n', start);
      let end: number;
      if (crlf >= 0 && (lf < 0 || crlf < lf)) end = crlf + 4;
      else if (lf >= 0) end = lf + 2;
      else break;
      const event = parseEvent(data.toString('utf8', start, end));
      if (event) events.push(event);
      start = end;
    }
    if (data.length - start > MAX_SSE_EVENT_BYTES) throw new SseEventTooLarge();
    this.tail = start < data.length ? Buffer.from(data.subarray(start)) : EMPTY;
    return { events, bytes: start === data.length ? data : data.subarray(0, start) };
  }

  /** An unterminated last event, if the stream ended inside one. */
  finish(): { events: SseEvent[]; bytes: Buffer } {
    if (!this.tail.toString('latin1').trim()) return { events: [], bytes: EMPTY };
    const rest = Buffer.concat([this.tail, Buffer.from('\n\n')]);
    this.tail = EMPTY;
    return this.push(rest);
  }
}

function parseEvent(text: string): SseEvent | null {
  let event = '';
  const data: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('data:')) data.push(line.slice(line.charCodeAt(5) === 0x20 ? 6 : 5));
    else if (line.startsWith('event:')) event = line.slice(line.charCodeAt(6) === 0x20 ? 7 : 6);
  }
  return data.length || event ? { event, data: data.join('\n') } : null;
}
