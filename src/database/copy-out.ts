import type { Pool } from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/**
 * Longest a `COPY ... TO STDOUT` may take: it reads a whole table (the pool's per-query bound is for queries of
 * milliseconds), yet a connection gone silent must not hold its reader for the minutes TCP takes to notice.
 */
export const COPY_OUT_TIMEOUT_MS = 120_000;

/**
 * `COPY ... TO STDOUT` on a connection of the pool: `onData` gets the rows' bytes as they arrive (chunks as the socket
 * reads them, rows split anywhere). One statement: one snapshot of the table, read in its physical order.
 */
export async function copyOut(pool: Pool, sql: string, onData: (chunk: Buffer) => void): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // As in copyIn: a socket lost during the COPY must not be an uncaught 'error' of the checked-out client.
  const onError = (err: Error) => void (broken ??= err);
  client.on('error', onError);
  const stream = Object.assign(copyTo(sql), { query_timeout: COPY_OUT_TIMEOUT_MS });
  // The client's read timeout is cleared only through the query's callback, which a COPY stream never gets: called
  // at the end, it stops the timer (which would otherwise fail the finished stream later). Errors after the end are
  // of no interest.
  const stopTimer = () => (stream as unknown as { callback?: () => void }).callback?.();
  stream.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('data', onData);
      stream.on('end', resolve);
      stream.on('error', reject);
      client.query(stream);
    });
  } catch (err) {
    if (typeof (err as { code?: unknown }).code !== 'string') broken ??= err as Error;
    throw err;
  } finally {
    stopTimer();
    client.removeListener('error', onError);
    client.release(broken);
  }
}
