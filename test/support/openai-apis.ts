import { randomBytes } from 'node:crypto';
import { defaultAnswer, errorBody, type Answer, type RecordedRequest, type Responder } from './upstream';

/**
 * A fake upstream speaking the rest of the OpenAI API on its real wire format, for startUpstream(): the Responses
 * API with a store (create, JSON or its event stream; retrieve; delete; input_items; previous_response_id refused
 * with OpenAI's 404 when this upstream does not hold it), legacy completions, moderations, image generation, speech
 * (audio bytes) and multipart transcriptions/translations. Works under `/v1/...` (OpenAI) and Azure's paths
 * (`/openai/v1/responses`, `/openai/responses`, `/openai/deployments/<d>/...`). Anything else: defaultAnswer.
 */
export interface ApiUpstream {
  readonly responder: Responder;
  /** Responses this upstream holds, by its own id. */
  readonly stored: Map<string, StoredResponse>;
  /** Bytes of the `file` part of each upload received (its content is not kept). */
  readonly uploads: { model: string | undefined; fileBytes: number; fields: Record<string, string> }[];
}

export interface StoredResponse {
  response: Record<string, unknown>;
  input: object[];
}

export const RESPONSE_USAGE = { input_tokens: 21, output_tokens: 9 };
export const SPEECH_BYTES = 300_000;

export function apiUpstream(name = 'upstream'): ApiUpstream {
  const stored = new Map<string, StoredResponse>();
  const uploads: ApiUpstream['uploads'] = [];
  const responder: Responder = (req) => {
    const path = req.path.replace(/^\/openai\/deployments\/[^/]+/, '').replace(/^(\/openai)?(\/v1)?/, '');
    if (path === '/responses' && req.method === 'POST') return createResponse(req, stored, name);
    const one = /^\/responses\/([^/]+)(\/input_items|\/cancel)?$/.exec(path);
    if (one) return storedAnswer(req, stored, decodeURIComponent(one[1]), one[2]);
    if (path === '/completions') return completion(req);
    if (path === '/moderations')
      return {
        json: {
          id: 'modr-1',
          model: 'omni-moderation-latest',
          results: [{ flagged: false, categories: { violence: false }, category_scores: { violence: 0.001 } }],
        },
      };
    if (path === '/images/generations')
      return {
        json: {
          created: 1700000000,
          data: [{ b64_json: Buffer.from('png').toString('base64'), revised_prompt: String(req.body?.prompt) }],
          usage: { input_tokens: 50, output_tokens: 4160, total_tokens: 4210 },
        },
      };
    if (path === '/audio/speech') return { raw: speechBytes(), status: 200, headers: { 'content-type': 'audio/mpeg' } };
    if (path === '/audio/transcriptions' || path === '/audio/translations') return transcription(req, uploads);
    return defaultAnswer(req);
  };
  return { responder, stored, uploads };
}

/** Deterministic audio bytes, so the test can compare what it got. */
export function speechBytes(): Buffer {
  const b = Buffer.alloc(SPEECH_BYTES);
  for (let i = 0; i < b.length; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

function responseObject(id: string, model: string, previous: string | null, text: string | null) {
  return {
    id,
    object: 'response',
    created_at: 1741476542,
    status: text === null ? 'in_progress' : 'completed',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model,
    output:
      text === null
        ? []
        : [
            {
              type: 'message',
              id: `msg_${id.slice(5)}`,
              status: 'completed',
              role: 'assistant',
              content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
            },
          ],
    parallel_tool_calls: true,
    previous_response_id: previous,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: true,
    temperature: 1.0,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_p: 1.0,
    truncation: 'disabled',
    usage:
      text === null
        ? null
        : {
            ...RESPONSE_USAGE,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: RESPONSE_USAGE.input_tokens + RESPONSE_USAGE.output_tokens,
          },
    user: null,
    metadata: {},
  };
}

function inputItems(input: unknown): object[] {
  const list = typeof input === 'string' ? [{ role: 'user', content: input }] : Array.isArray(input) ? input : [];
  return list.map((m: { role?: string; content?: unknown }, i) => ({
    id: `msg_in${i}_${randomBytes(4).toString('hex')}`,
    type: 'message',
    role: m.role ?? 'user',
    content:
      typeof m.content === 'string' ? [{ type: 'input_text', text: m.content }] : (m.content as object[] | undefined),
  }));
}

function createResponse(req: RecordedRequest, stored: Map<string, StoredResponse>, name: string): Answer {
  const previous = req.body?.previous_response_id as string | undefined;
  if (previous !== undefined && !stored.has(previous))
    return {
      status: 404,
      json: errorBody(
        `Previous response with id '${previous}' not found.`,
        'invalid_request_error',
        'previous_response_not_found',
        'previous_response_id',
      ),
    };
  const id = `resp_${randomBytes(24).toString('hex')}`;
  const turn = previous === undefined ? 1 : countTurns(stored, previous) + 1;
  const text = `Hello from ${name} (turn ${turn})`;
  const done = responseObject(id, String(req.body?.model), previous ?? null, text);
  stored.set(id, { response: done, input: inputItems(req.body?.input) });
  if (req.body?.stream !== true) return { json: done };
  const msgId = `msg_${id.slice(5)}`;
  const start = responseObject(id, String(req.body?.model), previous ?? null, null);
  const words = text.split(/(?= )/);
  let seq = 0;
  const ev = (type: string, data: object) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
  const part = { type: 'output_text', annotations: [], logprobs: [], text: '' };
  const events = [
    ev('response.created', { response: start }),
    ev('response.in_progress', { response: start }),
    ev('response.output_item.added', {
      output_index: 0,
      item: { id: msgId, type: 'message', status: 'in_progress', content: [], role: 'assistant' },
    }),
    ev('response.content_part.added', { item_id: msgId, output_index: 0, content_index: 0, part }),
    ...words.map((delta) =>
      ev('response.output_text.delta', { item_id: msgId, output_index: 0, content_index: 0, delta, logprobs: [] }),
    ),
    ev('response.output_text.done', { item_id: msgId, output_index: 0, content_index: 0, text, logprobs: [] }),
    ev('response.content_part.done', { item_id: msgId, output_index: 0, content_index: 0, part: { ...part, text } }),
    ev('response.output_item.done', { output_index: 0, item: done.output[0] }),
    ev('response.completed', { response: done }),
  ];
  return { sse: events, done: false };
}

function countTurns(stored: Map<string, StoredResponse>, id: string): number {
  let n = 0;
  for (let at: string | null = id; at !== null && stored.has(at); n++)
    at = stored.get(at)!.response.previous_response_id as string | null;
  return n;
}

function storedAnswer(
  req: RecordedRequest,
  stored: Map<string, StoredResponse>,
  id: string,
  part: string | undefined,
): Answer {
  const entry = stored.get(id);
  if (!entry)
    return {
      status: 404,
      json: errorBody(`Response with id '${id}' not found.`, 'invalid_request_error', null, null),
    };
  if (part === '/input_items') {
    const data = req.query.order === 'asc' ? entry.input : [...entry.input].reverse();
    return {
      json: {
        object: 'list',
        data,
        first_id: (data[0] as { id?: string } | undefined)?.id ?? null,
        last_id: (data[data.length - 1] as { id?: string } | undefined)?.id ?? null,
        has_more: false,
      },
    };
  }
  if (req.method === 'DELETE') {
    stored.delete(id);
    return { json: { id, object: 'response', deleted: true } };
  }
  if (part === '/cancel') return { json: { ...entry.response, status: 'cancelled' } };
  return { json: entry.response };
}

function completion(req: RecordedRequest): Answer {
  const base = { id: 'cmpl-1', created: 1700000000, model: String(req.body?.model) };
  const usage = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };
  if (req.body?.stream !== true)
    return {
      json: {
        ...base,
        object: 'text_completion',
        choices: [{ text: ' there friend', index: 0, logprobs: null, finish_reason: 'stop' }],
        usage,
      },
    };
  const chunk = (text: string, finish: string | null) => ({
    ...base,
    object: 'text_completion',
    choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
  });
  const sse: object[] = [chunk(' there', null), chunk(' friend', 'stop')];
  if (req.body?.stream_options?.include_usage === true)
    sse.push({ ...base, object: 'text_completion', choices: [], usage });
  return { sse };
}

/** The fields of a multipart body (files by size only). */
export function multipartFields(req: RecordedRequest): {
  fields: Record<string, string>;
  files: Record<string, Buffer>;
} {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/.exec(String(req.headers['content-type']));
  const fields: Record<string, string> = {};
  const files: Record<string, Buffer> = {};
  if (!boundary) return { fields, files };
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const body = req.bytes;
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break;
    const headersEnd = body.indexOf('\r\n\r\n', start);
    const next = body.indexOf(delimiter, headersEnd);
    const headers = body.toString('latin1', start, headersEnd);
    const content = body.subarray(headersEnd + 4, next - 2);
    const name = /name="([^"]+)"/.exec(headers)?.[1] ?? '';
    if (/filename=/.test(headers)) files[name] = content;
    else if (!(name in fields)) fields[name] = content.toString('utf8');
    else fields[`${name}#2`] = content.toString('utf8');
    at = next;
  }
  return { fields, files };
}

function transcription(req: RecordedRequest, uploads: ApiUpstream['uploads']): Answer {
  const { fields, files } = multipartFields(req);
  const file = files.file;
  uploads.push({ model: fields.model, fileBytes: file?.length ?? -1, fields });
  if (!file) return { status: 400, json: errorBody("Missing required parameter: 'file'.", 'invalid_request_error') };
  const text = `heard ${file.length} bytes`;
  if (fields.response_format === 'text') return { raw: text, status: 200, headers: { 'content-type': 'text/plain' } };
  return {
    json: {
      text,
      usage: { type: 'tokens', input_tokens: 14, output_tokens: 4, total_tokens: 18 },
    },
  };
}
