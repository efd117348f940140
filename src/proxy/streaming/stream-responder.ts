import type { FastifyReply } from 'fastify';
import { rawHead } from '../../common/http/raw-head';
import type { UpstreamStream } from '../upstream/upstream-call';
import { failureFromError, type AttemptFailure } from '../upstream/upstream-failure';
import { SseEventTooLarge, sseError } from './sse-relay';
import type { StreamTranslator } from './stream-translator';

export interface StreamEnd {
  /** The upstream stream ended normally. */
  readonly ok: boolean;
  /** The client hung up (the upstream request was aborted). */
  readonly clientGone: boolean;
  readonly failure?: AttemptFailure;
  /** `performance.now()` when the first bytes were written to the client (null: none). */
  readonly firstByteAt: number | null;
  /**
   * What ends the stream (the last events and `[DONE]`, or the error event), for the caller to write with
   * `res.end` once it has recorded the call: the access line, written when the response finishes, then has the
   * call's usage. Undefined when the client is gone.
   */
  readonly tail?: Buffer | string;
}

/**
 * Writes an upstream SSE body to the client as it arrives: each complete event as soon as it is in,
 * honouring the client's backpressure; the caller ends the response with `tail` (`[DONE]` last). An upstream
 * failure mid-stream ends the stream with an OpenAI-shaped error event as its tail. The caller aborts the upstream
 * request when the client hangs up.
 *
 * A client that takes nothing for `stallMs` while the upstream waits on it is treated as gone: its connection is
 * closed and the upstream call aborted, so a reader that stops reading cannot hold an upstream connection and an
 * admission slot for ever (undici's body timeout does not run while the upstream is paused).
 */
export function relayStream(
  reply: FastifyReply,
  upstream: UpstreamStream,
  relay: StreamTranslator,
  extraHeaders: readonly string[],
  signal: { readonly aborted: boolean },
  stallMs: number,
): Promise<StreamEnd> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, rawHead(reply, [...extraHeaders, ...(relay.head ?? SSE_HEADERS)]));
  // No flushHeaders(): the headers leave with the first chunk, in one write.
  return new Promise<StreamEnd>((resolve) => {
    // One wait for 'drain' at a time: chunks that came before attach() are all written without pausing anything.
    let stall: NodeJS.Timeout | undefined;
    const settle = () => {
      clearTimeout(stall);
      stall = undefined;
      res.removeListener('drain', resume);
    };
    const resume = () => {
      settle();
      upstream.resume();
    };
    const stalled = () => {
      settle();
      res.destroy();
      upstream.abort(new Error('the client stopped reading the stream'));
    };
    let broken = false;
    let firstByteAt: number | null = null;
    upstream.attach({
      data(chunk: Buffer): boolean {
        if (broken) return true;
        if (res.destroyed) {
          // Gone between two chunks (the close listener aborts too; this only makes sure).
          broken = true;
          upstream.abort(new Error('the client hung up'));
          return true;
        }
        let out: Buffer;
        try {
          out = relay.push(chunk);
        } catch (err) {
          broken = true;
          // The events that ended before an oversized one still reach the client, then the stream fails.
          if (err instanceof SseEventTooLarge && err.complete.length) res.write(err.complete);
          upstream.abort(err as Error); // ends below as a failed stream, never as an uncaught exception
          return true;
        }
        if (out.length && firstByteAt === null) firstByteAt = performance.now();
        if (out.length && !res.write(out)) {
          if (stall === undefined) {
            res.once('drain', resume);
            stall = setTimeout(stalled, Math.min(stallMs, MAX_TIMER_MS));
          }
          return false; // pauses the upstream until the client has taken what was written
        }
        return true;
      },
      end() {
        settle();
        resolve({ ok: true, clientGone: false, firstByteAt, tail: relay.finish() });
      },
      error(err: Error) {
        settle();
        if (signal.aborted || res.destroyed) {
          if (!res.writableEnded) res.destroy();
          resolve({ ok: false, clientGone: true, firstByteAt });
          return;
        }
        const failure = failureFromError(err);
        const message = `The upstream stream failed: ${failure.reason}`;
        const code = failure.kind === 'timeout' ? 'upstream_timeout' : 'upstream_error';
        const tail = relay.failure ? relay.failure(message, code) : sseError(message, code);
        // A body that has no way to say it failed (audio) is cut: the client sees it incomplete.
        if (tail === null) res.destroy();
        resolve({ ok: false, clientGone: false, failure, firstByteAt, tail: tail ?? undefined });
      },
    });
  });
}

/** The longest delay setTimeout takes (a longer one fires at once): a stream_timeout of weeks waits this long. */
const MAX_TIMER_MS = 2_147_483_647;

/** The stream's own headers. No `connection` header: Node keeps the connection alive after the stream unless the client asked to close it. */
const SSE_HEADERS: readonly string[] = [
  'content-type',
  'text/event-stream; charset=utf-8',
  'cache-control',
  'no-cache',
  'x-accel-buffering',
  'no',
];
