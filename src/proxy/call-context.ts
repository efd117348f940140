import { EventEmitter } from 'node:events';
import type { Operation } from './providers/provider';

/** One client call as the forwarding path sees it. */
export interface CallContext {
  readonly op: Operation;
  readonly reqId: string;
  /** The client's parsed body (validated; unknown fields kept). Its `model` is rewritten per deployment. */
  readonly payload: Record<string, unknown>;
  readonly stream: boolean;
  /** Streaming and the client did not ask for usage: the gateway asks for it and hides the usage chunk. */
  readonly addStreamUsage: boolean;
  /** The client's own `stream_options`, as sent. */
  readonly clientStreamOptions: unknown;
  /** Aborted when the client hangs up. */
  readonly signal: ClientAbort;
}

/** The client went away: stop, answer nothing. */
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection');
    this.name = 'ClientGoneError';
  }
}

/**
 * Aborts the upstream request when the client hangs up: through `onAbort`, the hook a buffered (non-streaming)
 * call sets while it runs, and as the 'abort' event of an EventEmitter with `aborted`, which undici's `request()`
 * takes as its signal for streaming calls (much cheaper per request than an AbortController).
 */
export class ClientAbort extends EventEmitter {
  aborted = false;
  onAbort: (() => void) | null = null;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.onAbort?.();
    this.emit('abort');
  }
}
