import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { Client, Pool } from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { Logger } from 'pino';
import type { DatabaseConfig } from '../config/gateway-config';
import { PrismaClient } from '../generated/prisma/client';
import { LOCK_FILE, lockDataDir } from './embedded-lock';
import { clearFailedCluster, clusterTemplate } from './embedded-template';
import { applyMigrations } from './migration-runner';
import { listenWithReconnect } from './pg-listener';
import type { SqlExecutor } from './sql-executor';

export interface OpenedDatabase {
  kind: 'postgres' | 'embedded';
  prisma: PrismaClient;
  ping(timeoutMs: number): Promise<void>;
  /** `onReconnect`: the subscription was lost and is back (messages sent meanwhile were missed). */
  listen(channel: string, onMessage: (payload: string) => void, onReconnect?: () => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

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
  const pool = new Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database connection failed'));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const stops: (() => Promise<void>)[] = [];
  return {
    kind: 'postgres',
    prisma,
    ping: async (ms) => void (await withTimeout(pool.query('SELECT 1'), ms, 'database')),
    async listen(channel, onMessage, onReconnect) {
      const stop = await listenWithReconnect(url, channel, onMessage, onReconnect ?? (() => undefined), log);
      stops.push(stop);
      return stop;
    },
    notify: async (channel, payload) => void (await pool.query('SELECT pg_notify($1, $2)', [channel, payload])),
    async close() {
      await Promise.all(stops.map((stop) => stop()));
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

async function openEmbedded(dataDir: string, log: Logger): Promise<OpenedDatabase> {
  mkdirSync(dirname(dataDir), { recursive: true });
  const unlock = lockDataDir(dataDir);
  const started = Date.now();
  let pg: PGlite | undefined;
  try {
    pg = await createPGlite(dataDir, log);
    log.info({ dataDir, ms: Date.now() - started }, 'embedded database opened (for trying out and a single instance)');
    const db = pg;
    await migrate({ query: async (sql, params) => (await db.query<never>(sql, params)).rows, exec: async (s) => void (await db.exec(s)) }, log);
  } catch (err) {
    await pg?.close().catch(() => undefined);
    unlock();
    throw err;
  }
  return embedded(pg, unlock);
}

/** A new data folder starts from the build's empty-cluster template when there is one (no initdb), else as usual. */
async function createPGlite(dataDir: string, log: Logger): Promise<PGlite> {
  const template = clusterTemplate(dataDir);
  if (template) {
    try {
      return await PGlite.create(dataDir, { loadDataDir: template });
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'embedded database: the cluster template did not load; running initdb instead');
      clearFailedCluster(dataDir, LOCK_FILE);
    }
  }
  return PGlite.create(dataDir);
}

function embedded(pg: PGlite, unlock: () => void): OpenedDatabase {
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
