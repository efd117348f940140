import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pool } from 'pg';
import type { CopySend } from './copy-in';

/** The folder of the embedded store's data folder that holds COPY data on its way in. */
export const COPY_FOLDER = 'copy-in';
const FROM_STDIN = /\bFROM STDIN\b/;

/**
 * COPY into the embedded store, whose socket does not carry COPY's data stream: the data is written to a file in a
 * folder of the store's data folder, and the statement reads it as a server file (PGlite's session is a
 * superuser's, and its data folder is this folder on disk). So the embedded store takes the same binary rows as
 * PostgreSQL, which it reads for a fraction of parsing them from text. One file per COPY, removed when it is done;
 * the folder is emptied when the store opens (files left by a gateway that was killed).
 */
export async function fileCopySender(dataDir: string, pool: Pool): Promise<CopySend> {
  const { rows } = await pool.query<{ data_directory: string }>('SHOW data_directory');
  const inStore = `${rows[0].data_directory}/${COPY_FOLDER}`;
  const dir = join(dataDir, COPY_FOLDER);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { mode: 0o700 });
  let seq = 0;
  return async (client, sql, data) => {
    if (!FROM_STDIN.test(sql)) throw new Error('a COPY by file needs a COPY ... FROM STDIN statement');
    const name = `${++seq}.copy`;
    const path = join(dir, name);
    try {
      await writeAll(path, typeof data === 'string' ? [Buffer.from(data)] : data);
      await client.query(sql.replace(FROM_STDIN, `FROM '${inStore}/${name}'`));
    } finally {
      await rm(path, { force: true });
    }
  };
}

async function writeAll(path: string, chunks: readonly Buffer[]): Promise<void> {
  const file = await open(path, 'w', 0o600);
  try {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const { bytesWritten } = await file.writev(chunks as Buffer[]);
    // A short write to a regular file means a full disk: the rows must not be read back cut.
    if (bytesWritten !== total) throw new Error(`wrote ${bytesWritten} of ${total} bytes of COPY data (disk full?)`);
  } finally {
    await file.close();
  }
}
