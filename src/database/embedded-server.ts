/**
 * The embedded store's own process: PGlite (PostgreSQL compiled to WebAssembly) serving the PostgreSQL wire protocol
 * on a Unix socket in a folder only this user can enter. The gateway starts it (embedded-process.ts) when no
 * DATABASE_URL is set and talks to it as to any PostgreSQL, through the same pg pool and Prisma adapter.
 *
 * Why a process of its own: PGlite runs its queries synchronously on the thread that calls it, so in the gateway
 * a spend flush or a key listing would stop every proxied call for its duration; and its WebAssembly memory, compiled
 * code and file-system bundle stay out of the process that serves the calls.
 *
 * Started with `fork` and no environment (it needs none, so it holds none of the gateway's secrets). Arguments:
 * data folder, socket path. Messages to the gateway: `{ type: 'ready' }`, `{ type: 'failed', message, inUse }`,
 * `{ type: 'warn', message }`. It closes the database cleanly and exits on `{ type: 'close' }`, on SIGTERM, or when
 * the gateway's IPC channel goes away (the gateway exited, however it exited).
 */
import '../runtime-flags'; // first: V8 settings before any WebAssembly is compiled
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { DataDirInUseError, LOCK_FILE, lockDataDirAfterOrphan } from './embedded-lock';
import { clearFailedCluster, clusterTemplateFile, hasCluster } from './embedded-template';

export type EmbeddedServerMessage =
  { type: 'ready' } | { type: 'failed'; message: string; inUse: boolean } | { type: 'warn'; message: string };

/**
 * The store's settings. Shared buffers: PostgreSQL's default is 128 MB, and PGlite touches all of it at start inside
 * its WebAssembly memory; 32 MB holds the pages a spend-log batch writes into (the table's and its five indexes'),
 * where fewer had each batch write pages out to disk and read them back through PGlite's file system in JavaScript.
 */
const EMBEDDED_CONF = ['shared_buffers=32MB'];

/** How long a new store waits for the store of a killed gateway to finish closing the folder (normally a moment). */
const ORPHAN_WAIT_MS = 15_000;

const send = (msg: EmbeddedServerMessage): void => {
  if (process.connected) process.send?.(msg);
};

async function main(dataDir: string, socketPath: string): Promise<void> {
  let unlock: (() => void) | undefined;
  let pg: PGlite | undefined;
  let server: { stop(): Promise<void> } | undefined;
  let closing: Promise<void> | undefined;
  const close = (code: number, orphaned = false): Promise<void> =>
    (closing ??= (async () => {
      await server?.stop().catch(() => undefined);
      await pg?.close().catch(() => undefined);
      unlock?.();
      // The gateway is gone (killed, say) and cannot remove the socket's folder: this process does.
      if (orphaned) rmSync(dirname(socketPath), { recursive: true, force: true });
      process.exit(code);
    })());
  process.on('disconnect', () => void close(0, true));
  process.on('SIGTERM', () => void close(0));
  // Ctrl-C reaches the whole foreground process group: the gateway decides when the store closes (after its last
  // spend flush), so the store does not stop on SIGINT by itself.
  process.on('SIGINT', () => undefined);
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'close') void close(0);
  });
  try {
    unlock = await lockDataDirAfterOrphan(dataDir, process.ppid, ORPHAN_WAIT_MS);
    // PGlite's functions may reach TurboFan here (unlike the gateway's start-up WebAssembly): each call's spend-log
    // row runs through them, and their optimised code takes this process's memory, not the gateway's.
    pg = await openPGlite(dataDir);
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    rmSync(socketPath, { force: true }); // left behind by a process that was killed
    // A few connections, so a pool connection that is being replaced never meets "too many connections"; the
    // server runs one query at a time and keeps a transaction's queries together.
    const s = new PGLiteSocketServer({ db: pg, path: socketPath, maxConnections: 4 });
    await s.start();
    server = s;
    send({ type: 'ready' });
  } catch (err) {
    send({ type: 'failed', message: (err as Error).message ?? String(err), inUse: err instanceof DataDirInUseError });
    await close(1);
  }
}

/**
 * A new data folder is created in a short-lived child process, from the build's empty-cluster template when there
 * is one (no initdb), else by initdb: either peaks at hundreds of MB that a process never fully gives back, so it
 * is done where the memory goes away with the process. Then this process opens the folder.
 */
async function openPGlite(dataDir: string): Promise<PGlite> {
  if (!hasCluster(dataDir)) {
    const template = clusterTemplateFile(dataDir);
    if (template) {
      try {
        await createInChild(dataDir, template);
      } catch (err) {
        send({
          type: 'warn',
          message: `the cluster template did not load (${(err as Error).message}); running initdb instead`,
        });
        clearFailedCluster(dataDir, LOCK_FILE);
      }
    }
    if (!hasCluster(dataDir)) await createInChild(dataDir, '');
  }
  const { PGlite } = await import('@electric-sql/pglite');
  return PGlite.create(dataDir, { postgresqlconf: EMBEDDED_CONF });
}

const CREATE_SCRIPT = `
const [mod, dir, template] = process.argv.slice(1);
const opts = template ? { loadDataDir: new Blob([require('node:fs').readFileSync(template)]) } : {};
require(mod).PGlite.create(dir, opts).then((pg) => pg.close()).catch((e) => { console.error(String((e && e.message) || e)); process.exit(1); });
`;

function createInChild(dataDir: string, template: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', CREATE_SCRIPT, require.resolve('@electric-sql/pglite'), dataDir, template],
      { timeout: 120_000 },
      (err, _out, stderr) =>
        err
          ? reject(new Error(`could not create the embedded database in ${dataDir}: ${stderr.trim() || err.message}`))
          : resolve(),
    );
  });
}

if (require.main === module) {
  const [dataDir, socketPath] = process.argv.slice(2);
  void main(dataDir, socketPath);
}
