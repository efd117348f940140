import { SseRelay } from '../streaming/sse-relay';
import type { StreamTranslator } from '../streaming/stream-translator';
import { usageFromObject, type Usage } from '../streaming/usage';
import { idsOf, replaceIds } from './response-id';

/** The events that carry the whole response object: its ids first (`response.created`), its usage last. */
const FINAL_EVENTS = ['"response.completed"', '"response.incomplete"', '"response.failed"'];

/**
 * A Responses API event stream passed on event by event as it arrives (the SSE framing is SseRelay's), with the
 * response's ids in the client's form (response-id.ts) and the usage read from the final event (`response.completed`
 * and the like: `response.usage` with `input_tokens` / `output_tokens`). No `[DONE]`: this API ends without one.
 */
export class ResponsesRelay implements StreamTranslator {
  usage: Usage | null = null;
  private readonly sse = new SseRelay(false, false);
  /** The upstream's ids of this response, learnt from the first event that holds the response object. */
  private ids: string[] | null = null;

  constructor(private readonly deploymentId: string) {}

  get events(): number {
    return this.sse.events;
  }

  push(chunk: Buffer): Buffer {
    return this.rewrite(this.sse.push(chunk));
  }

  finish(): Buffer {
    return this.rewrite(this.sse.finish());
  }

  failure(message: string, code: string): string {
    return `event: error\ndata: ${JSON.stringify({ type: 'error', code, message, param: null })}\n\n`;
  }

  /** `out` holds whole events only. */
  private rewrite(out: Buffer): Buffer {
    if (out.length === 0) return out;
    const text = out.toString('latin1');
    if (this.ids === null && text.includes('"response"')) this.ids = this.learnIds(out, text);
    if (this.usage === null && FINAL_EVENTS.some((e) => text.includes(e))) this.readUsage(out, text);
    return this.ids === null ? out : replaceIds(out, this.deploymentId, this.ids);
  }

  private learnIds(out: Buffer, text: string): string[] | null {
    for (const data of dataOf(out, text)) {
      const ids = idsOf(data?.response);
      if (ids.length) return ids;
    }
    return null;
  }

  private readUsage(out: Buffer, text: string): void {
    for (const data of dataOf(out, text)) {
      const usage = usageFromObject((data?.response as { usage?: unknown } | undefined)?.usage);
      if (usage) this.usage = usage;
    }
  }
}

type EventData = { response?: unknown } | null;

/** The parsed JSON of each event of `out` that mentions a response object (whole events; `text` is `out` as latin1). */
function* dataOf(out: Buffer, text: string): Generator<EventData> {
  const separator = /\r?\n\r?\n/g;
  for (let start = 0; start < text.length;) {
    const m = separator.exec(text);
    const end = m ? m.index : text.length;
    if (text.slice(start, end).includes('"response"')) {
      const lines = out
        .toString('utf8', start, end)
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(l.charCodeAt(5) === 0x20 ? 6 : 5));
      try {
        yield JSON.parse(lines.join('\n')) as EventData;
      } catch {
        yield null;
      }
    }
    if (!m) break;
    start = m.index + m[0].length;
  }
}
