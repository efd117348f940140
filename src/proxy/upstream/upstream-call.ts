import type { Dispatcher } from 'undici';
import { errors } from './undici-parts';
import { pickUpstreamHeaders, type UpstreamHeaders } from './upstream-headers';

/** An upstream answer: the whole body, or (a 2xx event stream, when asked for) the live stream. */
export interface UpstreamAnswer {
  readonly statusCode: number;
  readonly headers: UpstreamHeaders;
  readonly body?: Buffer;
  readonly stream?: UpstreamStream;
}

/** Where a live stream's chunks go. `data` answers false to pause the upstream until `UpstreamStream.resume()`. */
export interface StreamSink {
  data(chunk: Buffer): boolean;
  end(): void;
  error(err: Error): void;
}

/** A 2xx event stream being received: chunks that came before `attach` are delivered first. */
export interface UpstreamStream {
  attach(sink: StreamSink): void;
  resume(): void;
  /** Cuts the upstream request; the sink's `error` is then called with `err`. */
  abort(err: Error): void;
}

/** Where the client's hang-up reaches an upstream call: one hook, set while the call runs. */
export interface AbortHook {
  readonly aborted: boolean;
  onAbort: (() => void) | null;
}

/**
 * One upstream call on undici's dispatcher interface. `pool.request()` would wrap every call in an AsyncResource
 * and a Readable stream and follow an abort signal with listeners; this keeps the pool, the timeouts
 * (`headersTimeout`/`bodyTimeout` in `opts`) and undici's own errors, without that machinery. With `stream`, a 2xx
 * `text/event-stream` answer (with `anyType`, any 2xx answer) resolves as soon as its headers are in, and its chunks go to the sink attached to it
 * (backpressure by pausing the parser); any other answer is collected into one Buffer as it arrives. The client
 * hanging up aborts the call (RequestAbortedError).
 */
export function callUpstream(
  pool: Dispatcher,
  opts: Dispatcher.DispatchOptions,
  client: AbortHook,
  stream: boolean,
  anyType = false,
): Promise<UpstreamAnswer> {
  return new Promise<UpstreamAnswer>((resolve, reject) => {
    pool.dispatch(opts, new CallHandler(resolve, reject, client, stream, anyType));
  });
}

const NO_HEADERS: UpstreamHeaders = Object.freeze({});

class CallHandler implements Dispatcher.DispatchHandler, UpstreamStream {
  private statusCode = 0;
  private headers: UpstreamHeaders = NO_HEADERS;
  private chunks: Buffer[] = [];
  private length = 0;
  /** Answered: at the headers for an event stream, at the end otherwise. */
  private answered = false;
  private live = false;
  private sink: StreamSink | null = null;
  private ended = false;
  private failure: Error | null = null;
  private resumeParser: (() => void) | null = null;
  private abortCall: ((err?: Error) => void) | null = null;

  constructor(
    private readonly resolve: (a: UpstreamAnswer) => void,
    private readonly reject: (err: Error) => void,
    private readonly client: AbortHook,
    private readonly stream: boolean,
    /** With `stream`: any 2xx body is live (audio), not only an event stream. */
    private readonly anyType: boolean,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.abortCall = abort;
    const cancel = () => abort(new errors.RequestAbortedError());
    if (this.client.aborted) cancel();
    else this.client.onAbort = cancel;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: the real answer follows
    this.statusCode = statusCode;
    this.headers = pickUpstreamHeaders(rawHeaders);
    this.resumeParser = resume;
    if (this.stream && statusCode < 300 && (this.anyType || isEventStream(this.headers))) {
      this.live = true;
      this.answered = true;
      this.resolve({ statusCode, headers: this.headers, stream: this });
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.live && this.sink !== null) return this.sink.data(chunk);
    this.chunks.push(chunk); // a whole answer, or stream chunks that came before attach()
    this.length += chunk.length;
    return true;
  }

  onComplete(): void {
    this.client.onAbort = null;
    if (this.live) {
      if (this.sink !== null) this.sink.end();
      else this.ended = true;
      return;
    }
    this.answered = true;
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length);
    this.chunks = [];
    this.resolve({ statusCode: this.statusCode, headers: this.headers, body });
  }

  onError(err: Error): void {
    this.client.onAbort = null;
    if (!this.answered) {
      this.answered = true;
      this.reject(err);
    } else if (this.sink !== null) this.sink.error(err);
    else this.failure = err;
  }

  attach(sink: StreamSink): void {
    this.sink = sink;
    const early = this.chunks;
    this.chunks = [];
    for (const chunk of early) sink.data(chunk);
    if (this.failure !== null) sink.error(this.failure);
    else if (this.ended) sink.end();
  }

  resume(): void {
    this.resumeParser?.();
  }

  abort(err: Error): void {
    this.abortCall?.(err);
  }
}

function isEventStream(headers: UpstreamHeaders): boolean {
  return headers.contentType?.includes('text/event-stream') ?? false;
}
