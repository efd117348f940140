import type { Readable } from 'node:stream';
import type { DeploymentConfig } from '../config/gateway-config';
import type { Operation } from './providers/provider';
import type { AbortHook } from './upstream/upstream-call';
import type { ClientJson } from './upstream/client-json';

/** One client call as the forwarding path sees it. */
export interface CallContext {
  readonly op: Operation;
  readonly reqId: string;
  /** The model name the client sent (a pass-through deployment sends it on). */
  readonly requestedModel: string;
  /** The model groups the caller may use (from its admission); null: any. Fallback groups outside it are skipped. */
  readonly allowedGroups: ReadonlySet<string> | null;
  /** The client's parsed body (validated; unknown fields kept). Its `model` is rewritten per deployment. */
  readonly payload: Record<string, unknown>;
  /** The client's body as received, sent on with `payload`'s top-level changes (null: none, e.g. an upload). */
  readonly client: ClientJson | null;
  readonly stream: boolean;
  /** A streamed answer of any content type (audio), not only an event stream. */
  readonly anyStream: boolean;
  /** Streaming and the client did not ask for usage: the gateway asks for it and hides the usage chunk. */
  readonly addStreamUsage: boolean;
  /** The client's own `stream_options`, as sent. */
  readonly clientStreamOptions: unknown;
  /** Aborted when the client hangs up. */
  readonly signal: ClientAbort;
  /** Client headers its API sends on to the upstream (Anthropic's `anthropic-beta` on /v1/messages); usually none. */
  readonly upstreamHeaders?: Readonly<Record<string, string>>;
  /** A streamed multipart body (audio transcriptions): sent instead of `payload`. */
  readonly upload: Upload | null;
  /** The deployment of the latest attempt, set by the forwarder: a failed call's spend log row names it. */
  attempted: DeploymentConfig | null;
}

/** A client's multipart upload as the forwarding path sends it: streamed, not held whole. */
export interface Upload {
  /** The multipart content type (with its boundary). */
  readonly contentType: string;
  /** Bytes of the client's body read so far. */
  readonly bytes: number;
  /** Set when reading the client's body failed (over the size limit, cut off): that error ends the call. */
  readonly failure: Error | null;
  /** The body for one attempt, its `model` field set to `model`; throws when it can no longer be sent again. */
  body(model: string): Readable;
}

/** The client went away: stop, answer nothing. */
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection');
    this.name = 'ClientGoneError';
  }
}

/**
 * Where the reply holds its call's ClientAbort (declared on every Fastify reply, null until a call is forwarded):
 * the one `close` listener each request gets (common/http/pipeline.ts) aborts it when the client hangs up.
 */
export const CLIENT_ABORT = Symbol('clientAbort');

declare module 'fastify' {
  interface FastifyReply {
    [CLIENT_ABORT]: ClientAbort | null;
  }
}

/**
 * The client's hang-up, as the upstream call sees it: `aborted`, and `onAbort`, the hook the running upstream call
 * sets (it cuts that call). A plain object per request: no EventEmitter or AbortController.
 */
export class ClientAbort implements AbortHook {
  aborted = false;
  onAbort: (() => void) | null = null;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.onAbort?.();
  }
}
