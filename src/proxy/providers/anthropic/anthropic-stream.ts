import { SseEventSplitter, type SseEvent } from '../../streaming/sse-events';
import { SSE_DONE, sseError } from '../../streaming/sse-relay';
import type { StreamTranslator } from '../../streaming/stream-translator';
import type { Usage } from '../../streaming/usage';
import { anthropicUsage, finishReason, openAIUsage } from './anthropic-answer';
import { anthropicErrorObject } from './anthropic-errors';
import { JSON_TOOL } from './anthropic-json-mode';

type Json = Record<string, unknown>;
const EMPTY = Buffer.alloc(0);

/**
 * Anthropic's Messages event stream as OpenAI chat completion chunks, event by event: `message_start` opens the
 * assistant turn, text and tool-input deltas become content and tool-call deltas, `message_delta` carries the
 * finish reason, `message_stop` ends it (with a usage chunk when the client asked for one), `ping` is dropped and an
 * `error` event becomes an OpenAI-shaped error event. Usage is taken from `message_start` and `message_delta`.
 */
export class AnthropicChatStream implements StreamTranslator {
  usage: Usage | null = null;
  events = 0;
  private readonly splitter = new SseEventSplitter();
  private id = '';
  private model = '';
  private rawUsage: Json = {};
  /** Content block index -> OpenAI tool call index, for tool_use blocks. */
  private readonly tools = new Map<number, number>();
  /** Content block index of the JSON answer's tool use (jsonAnswer), if any. */
  private answerBlock: number | null = null;
  private ended = false;

  constructor(
    private readonly created: number,
    /** The client sent stream_options.include_usage: a last chunk with `usage` and no choices. */
    private readonly includeUsage: boolean,
    /** The client asked for a JSON answer (response_format): the answer tool's input streams as content. */
    private readonly jsonAnswer = false,
  ) {}

  push(chunk: Buffer): Buffer {
    return this.translate(this.splitter.push(chunk).events);
  }

  finish(): Buffer {
    const rest = this.translate(this.splitter.finish().events);
    return this.ended ? rest : Buffer.concat([rest, Buffer.from(SSE_DONE)]);
  }

  private translate(events: SseEvent[]): Buffer {
    if (events.length === 0) return EMPTY;
    let out = '';
    for (const e of events) out += this.event(e);
    return out ? Buffer.from(out) : EMPTY;
  }

  private event(e: SseEvent): string {
    let data: Json;
    try {
      data = JSON.parse(e.data) as Json;
    } catch {
      return '';
    }
    if (typeof data !== 'object' || data === null) return '';
    this.events++;
    switch (data.type ?? e.event) {
      case 'message_start': {
        const m = (data.message ?? {}) as Json;
        this.id = typeof m.id === 'string' ? m.id : '';
        this.model = typeof m.model === 'string' ? m.model : '';
        this.addUsage(m.usage);
        return this.chunk({ role: 'assistant', content: '' }, null);
      }
      case 'content_block_start':
        return this.blockStart(data);
      case 'content_block_delta':
        return this.blockDelta(data);
      case 'message_delta': {
        this.addUsage(data.usage);
        const d = (data.delta ?? {}) as Json;
        return this.chunk({}, finishReason(d.stop_reason, this.tools.size > 0));
      }
      case 'message_stop': {
        this.ended = true;
        const usage = this.includeUsage ? this.frame({ choices: [], usage: openAIUsage(this.rawUsage) }) : '';
        return usage + SSE_DONE;
      }
      case 'error': {
        const e = anthropicErrorObject(data.error, 500);
        return sseError(e.message, e.code, e.type);
      }
      default:
        return ''; // ping, content_block_stop, and event types added later
    }
  }

  private blockStart(data: Json): string {
    const block = (data.content_block ?? {}) as Json;
    if (block.type === 'tool_use' && this.jsonAnswer && block.name === JSON_TOOL) {
      this.answerBlock = Number(data.index);
      return '';
    }
    if (block.type === 'tool_use') {
      const index = this.tools.size;
      this.tools.set(Number(data.index), index);
      const call = { index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } };
      return this.chunk({ tool_calls: [call] }, null);
    }
    if (block.type === 'text' && typeof block.text === 'string' && block.text)
      return this.chunk({ content: block.text }, null);
    return '';
  }

  private blockDelta(data: Json): string {
    const d = (data.delta ?? {}) as Json;
    if (d.type === 'text_delta' && typeof d.text === 'string') return this.chunk({ content: d.text }, null);
    if (d.type === 'thinking_delta' && typeof d.thinking === 'string')
      return this.chunk({ reasoning_content: d.thinking }, null);
    if (d.type === 'input_json_delta' && typeof d.partial_json === 'string') {
      if (Number(data.index) === this.answerBlock)
        return d.partial_json ? this.chunk({ content: d.partial_json }, null) : '';
      const index = this.tools.get(Number(data.index)) ?? 0;
      return this.chunk({ tool_calls: [{ index, function: { arguments: d.partial_json } }] }, null);
    }
    return '';
  }

  /** Anthropic sends input counts in message_start and the running output count in message_delta. */
  private addUsage(u: unknown): void {
    if (typeof u !== 'object' || u === null) return;
    for (const [k, v] of Object.entries(u as Json)) if (typeof v === 'number') this.rawUsage[k] = v;
    this.usage = anthropicUsage(this.rawUsage);
  }

  private chunk(delta: Json, finish: string | null): string {
    return this.frame({ choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  }

  private frame(body: Json): string {
    const chunk = { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, ...body };
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }
}
