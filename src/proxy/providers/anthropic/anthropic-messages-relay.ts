import { anthropicErrorEvent } from '../../../common/errors/anthropic-error';
import { SseEventSplitter } from '../../streaming/sse-events';
import type { StreamTranslator } from '../../streaming/stream-translator';
import type { Usage } from '../../streaming/usage';
import { anthropicUsage } from './anthropic-answer';

/**
 * An Anthropic event stream passed on as it came (for `/v1/messages` callers, who speak Anthropic's format), event
 * by event, reading the usage on the way: input counts from `message_start`, the output count from `message_delta`.
 */
export class AnthropicMessagesRelay implements StreamTranslator {
  usage: Usage | null = null;
  events = 0;
  private readonly splitter = new SseEventSplitter();
  private readonly counts: Record<string, number> = {};

  push(chunk: Buffer): Buffer {
    return this.read(this.splitter.push(chunk));
  }

  finish(): Buffer {
    return this.read(this.splitter.finish());
  }

  failure(message: string, code: string): string {
    return anthropicErrorEvent(message, code);
  }

  private read({ events, bytes }: { events: { event: string; data: string }[]; bytes: Buffer }): Buffer {
    for (const e of events) {
      this.events++;
      if (e.event !== 'message_start' && e.event !== 'message_delta') continue;
      try {
        const data = JSON.parse(e.data) as { message?: { usage?: unknown }; usage?: unknown };
        const u = e.event === 'message_start' ? data.message?.usage : data.usage;
        if (typeof u !== 'object' || u === null) continue;
        for (const [k, v] of Object.entries(u)) if (typeof v === 'number') this.counts[k] = v;
        this.usage = anthropicUsage(this.counts);
      } catch {
        /* an event that is not JSON carries no usage */
      }
    }
    return bytes;
  }
}
