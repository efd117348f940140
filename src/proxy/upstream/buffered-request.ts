import type { IncomingHttpHeaders } from 'node:http';
import { errors, util, type Dispatcher } from 'undici';

/** An upstream answer read whole. */
export interface BufferedResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Where the client's hang-up reaches an upstream call: one hook, set while the call runs. */
export interface AbortHook {
  readonly aborted: boolean;
  onAbort: (() => void) | null;
}

/**
 * A non-streaming upstream call, its answer collected into one Buffer as the chunks arrive, on undici's dispatcher
 * interface. `pool.request()` plus `body.arrayBuffer()` does the same with an AsyncResource, a Readable stream and
 * signal listeners per call; this keeps the pool, the timeouts (`headersTimeout`/`bodyTimeout` in `opts`) and
 * undici's own errors, without that machinery. The client hanging up aborts the call (RequestAbortedError).
 */
export function requestBuffered(pool: Dispatcher, opts: Dispatcher.DispatchOptions, client: AbortHook): Promise<BufferedResponse> {
  return new Promise<BufferedResponse>((resolve, reject) => {
    pool.dispatch(opts, new BufferedHandler(resolve, reject, client));
  });
}

class BufferedHandler implements Dispatcher.DispatchHandler {
  private statusCode = 0;
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  private length = 0;

  constructor(
    private readonly resolve: (r: BufferedResponse) => void,
    private readonly reject: (err: Error) => void,
    private readonly client: AbortHook,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    const cancel = () => abort(new errors.RequestAbortedError());
    if (this.client.aborted) cancel();
    else this.client.onAbort = cancel;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true; // 1xx: the real answer follows
    this.statusCode = statusCode;
    this.headers = util.parseHeaders(rawHeaders) as IncomingHttpHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.length += chunk.length;
    return true;
  }

  onComplete(): void {
    this.client.onAbort = null;
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length);
    this.resolve({ statusCode: this.statusCode, headers: this.headers, body });
  }

  onError(err: Error): void {
    this.client.onAbort = null;
    this.reject(err);
  }
}
