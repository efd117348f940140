import type { FastifyReply } from 'fastify';
import type { UpstreamStream } from '../upstream/upstream-call';
import { failureFromError, type AttemptFailure } from '../upstream/upstream-failure';
import { sseError, type SseRelay } from './sse-relay';

export interface StreamEnd {
  /** The upstream stream ended normally. */
  readonly ok: boolean;
  /** The client hung up (the upstream request was aborted). */
  readonly clientGone: boolean;
  readonly failure?: AttemptFailure;
}

/**
 * Writes an upstream SSE body to the client as it arrives: each complete event as soon as it is in,
 * honouring the client's backpressure; `[DONE]` last. An upstream failure mid-stream ends the stream with an
 * OpenAI-shaped error event. The caller aborts the upstream request when the client hangs up.
 */
export function relayStream(
  reply: FastifyReply,
  upstream: UpstreamStream,
  relay: SseRelay,
  extraHeaders: Record<string, string>,
  signal: { readonly aborted: boolean },
): Promise<StreamEnd> {
  reply.hijack();
  const res = reply.raw;
  // Set one by one on the response (Node keeps them in a dictionary), not spread into a fresh object: the spread's
  // V8 shape was dropped at full GCs like the tick object's (runtime/tick-shape.ts) and rebuilt for every stream.
  const headers = reply.getHeaders();
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) res.setHeader(name, value);
  }
  for (const name in extraHeaders) res.setHeader(name, extraHeaders[name]);
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache');
  // No `connection` header: Node keeps the connection alive after the stream unless the client asked to close it.
  res.setHeader('x-accel-buffering', 'no');
  res.writeHead(200);
  // No flushHeaders(): the headers leave with the first chunk, in one write.
  return new Promise<StreamEnd>((resolve) => {
    const resume = () => upstream.resume();
    let broken = false;
    upstream.attach({
      data(chunk: Buffer): boolean {
        if (broken) return true;
        let out: Buffer;
        try {
          out = relay.push(chunk);
        } catch (err) {
          broken = true;
          upstream.abort(err as Error); // ends below as a failed stream, never as an uncaught exception
          return true;
        }
        if (out.length && !res.write(out)) {
          res.once('drain', resume);
          return false; // pauses the upstream until the client has taken what was written
        }
        return true;
      },
      end() {
        res.end(relay.finish());
        resolve({ ok: true, clientGone: false });
      },
      error(err: Error) {
        res.removeListener('drain', resume);
        if (signal.aborted || res.destroyed) {
          if (!res.writableEnded) res.destroy();
          resolve({ ok: false, clientGone: true });
          return;
        }
        const failure = failureFromError(err);
        res.end(sseError(`The upstream stream failed: ${failure.reason}`, failure.kind === 'timeout' ? 'upstream_timeout' : 'upstream_error'));
        resolve({ ok: false, clientGone: false, failure });
      },
    });
  });
}
