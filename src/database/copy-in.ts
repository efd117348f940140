import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { withTimeout } from '../common/time/timeout';

/** Longest wait for one COPY: a connection gone silent must not hold the writer for the minutes TCP takes. */
export const COPY_TIMEOUT_MS = 10_000;

/** Statements run on the COPY's connection, in one transaction with it: before it, and after it. */
export interface CopyAround {
  readonly before: readonly string[];
  readonly after: readonly string[];
}

/** How a COPY's data reaches the database on a checked-out connection: its own stream, or a file (copy-in-file.ts). */
export type CopySend = (client: PoolClient, sql: string, data: string | readonly Buffer[]) => Promise<void>;

/**
 * `COPY ... FROM STDIN` of `data` (text, or the chunks of a binary COPY) on a connection of the pool; with `around`,
 * inside one transaction with those statements. The statement's own failure (a constraint, a missing partition)
 * leaves the connection usable; a timeout or a broken socket discards it.
 */
export async function copyIn(
  pool: Pool,
  sql: string,
  data: string | readonly Buffer[],
  around?: CopyAround,
  send: CopySend = sendStream,
): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client has no 'error' listener of the pool's: a socket lost during the COPY (the database
  // restarted, a partition ended by a reset) would be an uncaught 'error' that ends the process. The COPY itself
  // fails with the same error through its stream.
  const onError = (err: Error) => void (broken ??= err);
  client.on('error', onError);
  try {
    await withTimeout(run(client, sql, data, around, send), COPY_TIMEOUT_MS, 'the database (COPY)');
  } catch (err) {
    // A PostgreSQL error answer carries an SQLSTATE; anything else may have left the connection mid-protocol.
    if (typeof (err as { code?: unknown }).code !== 'string') broken ??= err as Error;
    else if (around) await client.query('ROLLBACK').catch((e: Error) => void (broken ??= e));
    throw err;
  } finally {
    client.removeListener('error', onError);
    client.release(broken);
  }
}

async function run(
  client: PoolClient,
  sql: string,
  data: string | readonly Buffer[],
  around: CopyAround | undefined,
  send: CopySend,
) {
  if (around) for (const s of ['BEGIN', ...around.before]) await client.query(s);
  await send(client, sql, data);
  if (around) for (const s of [...around.after, 'COMMIT']) await client.query(s);
}

/** PostgreSQL's COPY sub-protocol on the connection. */
const sendStream: CopySend = (client, sql, data) =>
  new Promise<void>((resolve, reject) => {
    const stream = client.query(copyFrom(sql));
    stream.on('finish', resolve);
    stream.on('error', reject);
    if (typeof data === 'string') stream.end(data);
    else {
      for (const chunk of data) stream.write(chunk);
      stream.end();
    }
  });
