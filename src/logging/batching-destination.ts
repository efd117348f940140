import { writeSync } from 'node:fs';
import pino from 'pino';

/** A log destination (pino's SonicBoom) that can also take lines in batches (the access log's: one line per request). */
export type BatchingDestination = ReturnType<typeof pino.destination> & {
  /** Queues a line; queued lines are written together within `BATCH_WINDOW_MS`, or at once when the batch is full. */
  batch(line: string): void;
};

const BATCH_WINDOW_MS = 50;
const BATCH_BYTES = 16 * 1024;
/** How long a write waits when the descriptor says EAGAIN (stdout a full non-blocking pipe): SonicBoom's own wait. */
const EAGAIN_WAIT_MS = 100;

/**
 * A file descriptor or path (stdout: 1), written synchronously (pino's SonicBoom, as pino's own default). Access-log
 * lines are batched: a system call per request is a visible part of a request's cost under load, one write per 50 ms
 * (or per 16 KiB) is not. Each queued line is encoded into the batch's buffer as it arrives, while the pieces it was
 * built from are still in the CPU's cache: a batch kept as one concatenated string would be flattened at write time
 * by chasing pointers to pieces spread over everything the requests allocated since. An ordinary line writes the queued
 * batch before itself, so lines keep the order they were logged in (a warning or the shutdown's "stopped" line never
 * comes before the access lines of earlier requests). `log.flush()` (graceful shutdown) and pino's exit handler write
 * the batch too. Not asynchronous: SonicBoom's flushSync (pino's exit handler) writes its buffer while an
 * asynchronous write is still in flight, so lines could land out of order, and an exit could lose the write in flight.
 */
export function batchingDestination(target: number | string): BatchingDestination {
  const dest = pino.destination({ dest: target, sync: true });
  const write = dest.write.bind(dest);
  const flush = dest.flush.bind(dest);
  const flushSync = dest.flushSync.bind(dest);
  const queued = Buffer.allocUnsafe(BATCH_BYTES);
  let used = 0;
  let timer: NodeJS.Timeout | null = null;
  const push = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (used === 0) return;
    const length = used;
    used = 0;
    writeAll(dest, queued, length);
  };
  return Object.assign(dest, {
    write(line: string) {
      if (used !== 0) push();
      return write(line);
    },
    batch(line: string) {
      // UTF-8 takes at most 3 bytes per UTF-16 unit: a line that may not fit is written after the queued ones.
      if (used + line.length * 3 > BATCH_BYTES) {
        push();
        if (line.length * 3 > BATCH_BYTES) {
          write(line);
          return;
        }
      }
      used += queued.write(line, used);
      if (timer === null) timer = setTimeout(push, BATCH_WINDOW_MS).unref();
    },
    flush(cb?: (err?: Error) => void) {
      push();
      flush(cb);
    },
    flushSync() {
      push();
      flushSync();
    },
  });
}

/**
 * `length` bytes of `buf` to the destination's descriptor, as SonicBoom writes in sync mode: partial writes are
 * continued, EAGAIN waits and retries, any other error is the destination's 'error' event.
 */
function writeAll(dest: ReturnType<typeof pino.destination>, buf: Buffer, length: number): void {
  let offset = 0;
  while (offset < length) {
    try {
      offset += writeSync((dest as unknown as { fd: number }).fd, buf, offset, length - offset);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EBUSY') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, EAGAIN_WAIT_MS);
        continue;
      }
      dest.emit('error', err);
      return;
    }
  }
}
