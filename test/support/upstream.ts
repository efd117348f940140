import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real `node:http` server playing an OpenAI / Azure OpenAI upstream for tests (and anyone else): it records
 * every request (method, path, query, headers, body) and answers as scripted — JSON, SSE streams with delays
 * between chunks, errors, slowness, connection resets, or no answer at all. Default answers look like OpenAI's.
 */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The body's bytes as received (a multipart upload's file included). */
  readonly bytes: Buffer;
  /** The JSON body, or undefined when it was not JSON. */
  readonly body: any;
  readonly receivedAt: number;
  /** Resolves when the exchange is over: `aborted` when the connection closed before the answer was complete. */
  readonly closed: Promise<{ aborted: boolean; at: number }>;
}

export type Answer =
  /** A JSON answer (any status), after `delayMs`. */
  | { json: unknown; status?: number; headers?: Record<string, string>; delayMs?: number }
  /**
   * SSE: objects are sent as `data: <json>\n\n`, strings and Buffers verbatim, functions are awaited (a gate the test opens);
   * `delayMs` before each chunk; `[DONE]` last unless done: false; `resetAfter` n: the connection is cut after n chunks.
   */
  | {
      sse: SseItem[];
      delayMs?: number;
      status?: number;
      done?: boolean;
      resetAfter?: number;
      headers?: Record<string, string>;
    }
  /**
   * Bytes as given. `cutAfterBytes` n: the headers announce the whole body (content-length), only its first n
   * bytes are sent, then the connection is cut (a reset mid-body).
   */
  | { raw: string | Buffer; status: number; headers?: Record<string, string>; delayMs?: number; cutAfterBytes?: number }
  /** Closes the connection without answering (after `delayMs`). */
  | { reset: true; delayMs?: number }
  /** Never answers; the request stays open until the caller gives up. */
  | { hang: true };

export type SseItem = string | Buffer | object | (() => Promise<unknown>);

export type Responder = (req: RecordedRequest) => Answer | Promise<Answer>;

export interface FakeUpstream {
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** How requests are answered from now on (after any queued answers). */
  respondWith(r: Responder | Answer): void;
  /** Answers used once each, in order, before the responder. */
  queue(...answers: Answer[]): void;
  /** Forgets recorded requests and queued answers; back to the default responder. */
  reset(): void;
  close(): Promise<void>;
}

export async function startUpstream(responder: Responder = defaultAnswer): Promise<FakeUpstream> {
  let current: Responder = responder;
  const queued: Answer[] = [];
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const bytes = Buffer.concat(parts);
      const rawBody = bytes.toString('utf8');
      const url = new URL(req.url ?? '/', 'http://upstream');
      let aborted = false;
      const closed = new Promise<{ aborted: boolean; at: number }>((resolve) =>
        res.once('close', () => {
          aborted = !res.writableFinished;
          resolve({ aborted, at: Date.now() });
        }),
      );
      const rec: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        rawBody,
        bytes,
        body: parseJson(rawBody),
        receivedAt: Date.now(),
        closed,
      };
      requests.push(rec);
      Promise.resolve(queued.length ? queued.shift()! : current(rec))
        .then((answer) => send(req, res, answer, () => aborted))
        .catch(() => res.destroy());
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    respondWith: (r) => (current = typeof r === 'function' ? r : () => r),
    queue: (...answers) => queued.push(...answers),
    reset: () => {
      requests.length = 0;
      queued.length = 0;
      current = responder;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function send(req: IncomingMessage, res: ServerResponse, a: Answer, isClosed: () => boolean): Promise<void> {
  if ('hang' in a) return;
  if (a.delayMs) await sleep(a.delayMs);
  if (isClosed() || res.destroyed) return;
  if ('reset' in a) {
    req.socket.destroy();
    return;
  }
  if ('json' in a) {
    const body = JSON.stringify(a.json);
    res.writeHead(a.status ?? 200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...a.headers,
    });
    res.end(body);
    return;
  }
  if ('raw' in a) {
    if (a.cutAfterBytes === undefined) {
      res.writeHead(a.status, a.headers);
      res.end(a.raw);
      return;
    }
    const bytes = Buffer.from(a.raw);
    res.writeHead(a.status, { 'content-length': bytes.length, ...a.headers });
    res.write(bytes.subarray(0, a.cutAfterBytes));
    await sleep(20); // let what was written reach the peer first
    req.socket.destroy();
    return;
  }
  res.writeHead(a.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...a.headers });
  res.flushHeaders();
  let n = 0;
  const cut = async () => {
    await sleep(20); // let what was written reach the peer first
    req.socket.destroy();
  };
  for (const chunk of a.sse) {
    if (a.resetAfter !== undefined && n === a.resetAfter) return cut();
    if (typeof chunk === 'function') {
      await (chunk as () => Promise<unknown>)();
      continue;
    }
    if (n > 0 && a.delayMs) await sleep(a.delayMs);
    if (res.destroyed) return;
    res.write(typeof chunk === 'string' || Buffer.isBuffer(chunk) ? chunk : `data: ${JSON.stringify(chunk)}\n\n`);
    n++;
  }
  if (a.resetAfter !== undefined && n === a.resetAfter) return cut();
  if (a.delayMs) await sleep(a.delayMs);
  res.end(a.done === false ? undefined : 'data: [DONE]\n\n');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---- OpenAI-shaped answers ----

export interface UsageCounts {
  prompt_tokens: number;
  completion_tokens: number;
}

export function chatCompletion(
  content: string,
  usage: UsageCounts = { prompt_tokens: 11, completion_tokens: 7 },
  model = 'gpt-upstream',
): object {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1700000000,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
    usage: {
      ...usage,
      total_tokens: usage.prompt_tokens + usage.completion_tokens,
      prompt_tokens_details: { cached_tokens: 0 },
    },
  };
}

/** Streaming chunks for `words`; with `usage`, a final usage-only chunk (`choices: []`) as OpenAI sends it. */
export function chatChunks(words: string[], usage?: UsageCounts, model = 'gpt-upstream'): object[] {
  const base = { id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1700000000, model };
  const chunks: object[] = [
    {
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      ...(usage ? { usage: null } : {}),
    },
  ];
  for (const w of words)
    chunks.push({
      ...base,
      choices: [{ index: 0, delta: { content: w }, finish_reason: null }],
      ...(usage ? { usage: null } : {}),
    });
  chunks.push({
    ...base,
    choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
    ...(usage ? { usage: null } : {}),
  });
  if (usage)
    chunks.push({
      ...base,
      choices: [],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  return chunks;
}

export function embeddingList(count: number, dims = 4, promptTokens = 5): object {
  return {
    object: 'list',
    data: Array.from({ length: count }, (_, index) => ({
      object: 'embedding',
      index,
      embedding: Array.from({ length: dims }, (_, i) => (index + 1) * 0.1 + i * 0.01),
    })),
    model: 'text-embedding-upstream',
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}

/** An OpenAI-style error body. */
export function errorBody(
  message: string,
  type = 'invalid_request_error',
  code: string | null = null,
  param: string | null = null,
): object {
  return { error: { message, type, param, code } };
}

/** OpenAI-like answers: chat (JSON or a 3-word stream, with usage when asked), embeddings (one per input). */
export function defaultAnswer(req: RecordedRequest): Answer {
  if (req.path.endsWith('/embeddings')) {
    const input = req.body?.input;
    return { json: embeddingList(Array.isArray(input) && typeof input[0] !== 'number' ? input.length : 1) };
  }
  if (req.body?.stream === true) {
    const usage =
      req.body?.stream_options?.include_usage === true ? { prompt_tokens: 11, completion_tokens: 3 } : undefined;
    return { sse: chatChunks(['Hello', ' from', ' upstream'], usage) };
  }
  return { json: chatCompletion('Hello from upstream') };
}
