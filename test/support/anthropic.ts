import { startUpstream, type Answer, type FakeUpstream, type RecordedRequest } from './upstream';

/**
 * A fake Anthropic Messages API (`POST /v1/messages`) for tests, on the recording upstream of upstream.ts. It checks
 * what Anthropic checks (x-api-key, anthropic-version, model, max_tokens, messages, block types, no unknown fields)
 * and answers with Anthropic's error shape when something is wrong; otherwise a text answer, or a tool_use when
 * tools are offered and the last turn is not a tool result; as JSON or as Anthropic's event stream.
 */
export const ANTHROPIC_USAGE = { input_tokens: 21, output_tokens: 9 };

const FIELDS = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'stream',
  'tools',
  'tool_choice',
  'metadata',
  'thinking',
]);
const BLOCKS = new Set(['text', 'image', 'tool_use', 'tool_result']);

export function anthropicError(type: string, message: string): object {
  return { type: 'error', error: { type, message } };
}

export function startAnthropic(): Promise<FakeUpstream> {
  return startUpstream(anthropicAnswer);
}

/** The count `POST /v1/messages/count_tokens` answers: one per 4 bytes of its messages, as a stand-in tokenizer. */
export function countedTokens(messages: unknown): number {
  return Math.ceil(JSON.stringify(messages).length / 4);
}

export function anthropicAnswer(req: RecordedRequest): Answer {
  if (req.path === '/v1/messages/count_tokens') return countTokensAnswer(req);
  if (req.path !== '/v1/messages') return { status: 404, json: anthropicError('not_found_error', 'Not found') };
  if (!req.headers['x-api-key'])
    return { status: 401, json: anthropicError('authentication_error', 'x-api-key header is required') };
  if (req.headers['anthropic-version'] !== '2023-06-01')
    return { status: 400, json: anthropicError('invalid_request_error', 'anthropic-version header is required') };
  const problem = bodyProblem(req.body);
  if (problem) return { status: 400, json: anthropicError('invalid_request_error', problem) };
  const body = req.body;
  const last = body.messages[body.messages.length - 1];
  const answeredTool = Array.isArray(last.content) && last.content.some((b: any) => b.type === 'tool_result');
  const images = body.messages.flatMap((m: any) =>
    Array.isArray(m.content) ? m.content.filter((b: any) => b.type === 'image') : [],
  );
  const tool = Array.isArray(body.tools) && !answeredTool ? body.tools[0] : undefined;
  const text = images.length ? `I see ${images.length} images` : answeredTool ? 'It is sunny' : 'Hello from Claude';
  const content = tool
    ? [{ type: 'tool_use', id: 'toolu_01', name: tool.name, input: { city: 'Paris' } }]
    : [{ type: 'text', text }];
  const stop = tool ? 'tool_use' : 'end_turn';
  if (body.stream === true) return { sse: messageEvents(body.model, content, stop), done: false };
  return {
    json: {
      id: 'msg_01',
      type: 'message',
      role: 'assistant',
      model: body.model,
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage: ANTHROPIC_USAGE,
    },
  };
}

/** Anthropic's token count: the body of a message without `max_tokens` or `stream`, which it refuses. */
function countTokensAnswer(req: RecordedRequest): Answer {
  if (!req.headers['x-api-key'])
    return { status: 401, json: anthropicError('authentication_error', 'x-api-key header is required') };
  const body = req.body;
  const extra = Object.keys(body ?? {}).find((k) => !COUNT_FIELDS.has(k));
  const problem = extra
    ? `${extra}: Extra inputs are not permitted`
    : typeof body?.model !== 'string'
      ? 'model: Field required'
      : !Array.isArray(body.messages)
        ? 'messages: Field required'
        : null;
  if (problem) return { status: 400, json: anthropicError('invalid_request_error', problem) };
  return { json: { input_tokens: countedTokens(body.messages) } };
}

const COUNT_FIELDS = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking']);

function bodyProblem(body: any): string | null {
  if (!body || typeof body !== 'object') return 'body: must be a JSON object';
  for (const k of Object.keys(body)) if (!FIELDS.has(k)) return `${k}: Extra inputs are not permitted`;
  if (typeof body.model !== 'string') return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: Field required';
  for (const [i, m] of body.messages.entries()) {
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (Array.isArray(m.content))
      for (const b of m.content) if (!BLOCKS.has(b.type)) return `messages.${i}.content: unknown block ${b.type}`;
  }
  return null;
}

export function sseEvent(type: string, data: object): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

/** Anthropic's event stream for an answer of `content` blocks, text and tool input sent in two pieces each. */
export function messageEvents(model: string, content: any[], stop: string): string[] {
  const events = [
    sseEvent('message_start', {
      message: {
        id: 'msg_01',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        usage: { input_tokens: ANTHROPIC_USAGE.input_tokens, output_tokens: 1 },
      },
    }),
    sseEvent('ping', {}),
  ];
  content.forEach((b, index) => {
    if (b.type === 'text') {
      events.push(sseEvent('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      const half = Math.ceil(b.text.length / 2);
      for (const piece of [b.text.slice(0, half), b.text.slice(half)])
        events.push(sseEvent('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
    } else {
      events.push(sseEvent('content_block_start', { index, content_block: { ...b, input: {} } }));
      const json = JSON.stringify(b.input);
      for (const piece of [json.slice(0, 5), json.slice(5)])
        events.push(
          sseEvent('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } }),
        );
    }
    events.push(sseEvent('content_block_stop', { index }));
  });
  events.push(
    sseEvent('message_delta', {
      delta: { stop_reason: stop, stop_sequence: null },
      usage: { output_tokens: ANTHROPIC_USAGE.output_tokens },
    }),
    sseEvent('message_stop', {}),
  );
  return events;
}
