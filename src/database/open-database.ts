import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { Client, Pool } from 'pg';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../config/gateway-config';
import { PrismaClient } from '../generated/prisma/client';
import { LOCK_FILE, lockDataDir } from './embedded-lock';
import { clearFailedCluster, clusterTemplateFile, hasCluster } from './embedded-template';
import { withoutWasmTierUp } from '../runtime/wasm-tiering';
import { applyMigrations } from './migration-runner';
import { PgListener } from './pg-listener';
import type { SqlExecutor } from './sql-executor';

export interface OpenedDatabase {
  kind: 'postgres' | 'embedded';
  prisma: PrismaClient;
  ping(timeoutMs: number): Promise<void>;
  /** `onReconnect`: the subscription was lost and is back (notifications in between were missed). */
  listen(channel: string, onMessage: (payload: string) => void, onReconnect: () => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

/** Longest wait for one query's answer on the pool (the gateway's queries take milliseconds). */
export const QUERY_TIMEOUT_MS = 10_000;

export async function openDatabase(cfg: DatabaseConfig, log: Logger): Promise<OpenedDatabase> {
  return cfg.kind === 'postgres' ? openPostgres(cfg.url, log) : openEmbedded(cfg.dataDir, log);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function migrate(exec: SqlExecutor, log: Logger): Promise<void> {
  const applied = await applyMigrations(exec, undefined, (m) => log.warn(m));
  log.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'database schema is up to date');
}

async function openPostgres(url: string, log: Logger): Promise<OpenedDatabase> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await migrate({ query: async (sql, params) => (await client.query(sql, params)).rows, exec: async (s) => void (await client.query(s)) }, log);
  } finally {
    await client.end();
  }
  // query_timeout: a connection that goes silent (a network partition: no reset, no answer) fails its query after
  // this instead of holding a request for the minutes TCP takes to notice; the connection is then discarded.
  const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000, query_timeout: QUERY_TIMEOUT_MS });
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database connection failed'));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const listeners = new Set<PgListener>();
  return {
    kind: 'postgres',
    prisma,
    ping: async (ms) => void (await withTimeout(pool.query('SELECT 1'), ms, 'database')),
    async listen(channel, onMessage, onReconnect) {
      const listener = new PgListener(url, channel, onMessage, onReconnect, log);
      await listener.start();
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
        await listener.stop();
      };
    },
    notify: async (channel, payload) => void (await pool.query('SELECT pg_notify($1, $2)', [channel, payload])),
    async close() {
      await Promise.all([...listeners].map((l) => l.stop()));
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

function openEmbedded(dataDir: string, log: Logger): Promise<OpenedDatabase> {
  return withoutWasmTierUp(() => openEmbeddedStore(dataDir, log));
}

async function openEmbeddedStore(dataDir: string, log: Logger): Promise<OpenedDatabase> {
  mkdirSync(dirname(dataDir), { recursive: true });
  const unlock = lockDataDir(dataDir);
  const started = Date.now();
  let pg: PGlite | undefined;
  try {
    pg = await createPGlite(dataDir, log);
    log.info({ dataDir, ms: Date.now() - started }, 'embedded database opened (for trying out and a single instance)');
    const db = pg;
    await migrate({ query: async (sql, params) => (await db.query<never>(sql, params)).rows, exec: async (s) => void (await db.exec(s)) }, log);
    return await embedded(pg, unlock);
  } catch (err) {
    await pg?.close().catch(() => undefined);
    unlock();
    throw err;
  }
}

/**
 * The embedded store's settings: the gateway's tables are small (keys, spend rows), so 4 MB of shared buffers.
 * PostgreSQL's default is 128 MB, and PGlite touches all of it at start inside its WebAssembly memory: 16 MB kept
 * ~110 MB out of the process, 4 MB another ~12 MB.
 */
const EMBEDDED_CONF = ['shared_buffers=4MB'];

/**
 * A new data folder is created in a short-lived child process, from the build's empty-cluster template when there
 * is one (no initdb), else by initdb: either peaks at hundreds of MB that a process never fully gives back, so it
 * is done where the memory goes away with the process. Then the gateway opens the folder itself.
 */
async function createPGlite(dataDir: string, log: Logger): Promise<PGlite> {
  if (!hasCluster(dataDir)) {
    const template = clusterTemplateFile(dataDir);
    if (template) {
      try {
        await createInChild(dataDir, template);
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'embedded database: the cluster template did not load; running initdb instead');
        clearFailedCluster(dataDir, LOCK_FILE);
      }
    }
    if (!hasCluster(dataDir)) await createInChild(dataDir, '');
  }
  // Loaded here, not at the top: a gateway on PostgreSQL never loads PGlite (its code stays out of memory).
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
    execFile(process.execPath, ['-e', CREATE_SCRIPT, require.resolve('@electric-sql/pglite'), dataDir, template], { timeout: 120_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`could not create the embedded database in ${dataDir}: ${stderr.trim() || err.message}`)) : resolve(),
    );
  });
}

async function embedded(pg: PGlite, unlock: () => void): Promise<OpenedDatabase> {
  const { PrismaPGlite } = await import('pglite-prisma-adapter');
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pg) });
  const listeners = new Map<string, Set<(p: string) => void>>();
  return {
    kind: 'embedded',
    prisma,
    ping: async (ms) => void (await withTimeout(pg.query('SELECT 1'), ms, 'embedded database')),
    async listen(channel, onMessage) {
      const set = listeners.get(channel) ?? new Set();
      set.add(onMessage);
      listeners.set(channel, set);
      return async () => void set.delete(onMessage);
    },
    async notify(channel, payload) {
      listeners.get(channel)?.forEach((fn) => fn(payload));
    },
    async close() {
      await prisma.$disconnect().catch(() => undefined);
      await pg.close().catch(() => undefined);
      unlock();
    },
  };
}
