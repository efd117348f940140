import { PrismaPg } from '@prisma/adapter-pg';
import { Client, Pool, type PoolConfig } from 'pg';
import type { Logger } from 'pino';
import { withTimeout } from '../common/time/timeout';
import type { DatabaseConfig } from '../config/gateway-config';
import { PrismaClient } from '../generated/prisma/client';
import { databaseLocation, POOL_LIMIT, POOL_WAIT_SEC } from '../config/database-url';
import { CONNECT_TIMEOUT_MS, connectFailure } from './connect-error';
import { EMBEDDED_PORT, EmbeddedDatabaseProcess } from './embedded-process';
import { applyMigrations } from './migration-runner';
import { copyIn, type CopyAround, type CopySend } from './copy-in';
import { fileCopySender } from './copy-in-file';
import { copyOut } from './copy-out';
import { PgListener } from './pg-listener';
import type { SqlExecutor } from './sql-executor';

export interface OpenedDatabase {
  kind: 'postgres' | 'embedded';
  prisma: PrismaClient;
  /** One parameterised statement on the pool, without Prisma (bulk writes, partition upkeep, reports). */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * `COPY ... FROM STDIN` of `data` on a connection of the pool: by COPY's own stream on PostgreSQL, by a file in its
   * data folder on the embedded store (its socket does not speak the COPY sub-protocol).
   */
  copyIn(sql: string, data: string | readonly Buffer[], around?: CopyAround): Promise<void>;
  /** `COPY ... TO STDOUT`, its bytes to `onData` as they arrive: PostgreSQL only. */
  copyOut?(sql: string, onData: (chunk: Buffer) => void): Promise<void>;
  ping(timeoutMs: number): Promise<void>;
  /** `onReconnect`: the subscription was lost and is back (notifications in between were missed). */
  listen(channel: string, onMessage: (payload: string) => void, onReconnect: () => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

/** Longest wait for a connection of the pool unless `database_connection_timeout` says otherwise. */
const DEFAULT_POOL_WAIT_MS = POOL_WAIT_SEC.fallback * 1000;

/** Longest wait for one query's answer on the pool (the gateway's queries take milliseconds). */
export const QUERY_TIMEOUT_MS = 10_000;

export async function openDatabase(cfg: DatabaseConfig, log: Logger): Promise<OpenedDatabase> {
  return cfg.kind === 'postgres'
    ? openPostgres(cfg, `database at ${databaseLocation(cfg.url)} (from ${cfg.source})`, log)
    : openEmbedded(cfg.dataDir, log);
}

/**
 * How long closing PostgreSQL connections may take at shutdown. A connection that stopped answering (a network
 * partition: no reset) holds `pool.end()` until its query times out; the process is about to exit anyway.
 */
const CLOSE_MS = 2_000;

async function closeWithin(p: Promise<unknown>, what: string, log: Logger): Promise<void> {
  await withTimeout(p, CLOSE_MS, what).catch((err: Error) =>
    log.warn({ err: err.message }, 'database connections left open at shutdown'),
  );
}

async function migrate(exec: SqlExecutor, log: Logger): Promise<void> {
  const applied = await applyMigrations(exec, undefined, (m) => log.warn(m));
  log.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'database schema is up to date');
}

/** `where`: the database as start-up messages name it (location and source, no credentials). */
async function openPostgres(cfg: PostgresConfig, where: string, log: Logger): Promise<OpenedDatabase> {
  const url = cfg.url;
  const listeners = new Set<PgListener>();
  // A config built by hand (as tests build them) may leave the pool's settings out: the loader's defaults then.
  const conn = {
    connectionString: url,
    max: cfg.poolLimit ?? POOL_LIMIT.fallback,
    waitMs: cfg.poolWaitMs ?? DEFAULT_POOL_WAIT_MS,
  };
  return openPool('postgres', conn, log, {
    where,
    copyOut: true,
    async listen(channel, onMessage, onReconnect) {
      const listener = new PgListener(url, channel, onMessage, onReconnect, log);
      await listener.start();
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
        await listener.stop();
      };
    },
    close: () => closeWithin(Promise.all([...listeners].map((l) => l.stop())), 'the LISTEN connection', log),
  });
}

/**
 * The embedded store: PGlite in a process of its own (embedded-server.ts) behind a Unix socket, reached through
 * the same pool and Prisma adapter as PostgreSQL. One connection: PGlite is one backend that runs one query at a
 * time. Notifications stay in this process (the store serves one gateway).
 */
async function openEmbedded(dataDir: string, log: Logger): Promise<OpenedDatabase> {
  const started = Date.now();
  const store = await EmbeddedDatabaseProcess.start(dataDir, log);
  log.info(
    { dataDir, pid: store.pid, ms: Date.now() - started },
    'embedded database opened (for trying out and a single instance)',
  );
  const listeners = new Map<string, Set<(p: string) => void>>();
  try {
    const conn = {
      host: store.socketDir,
      port: EMBEDDED_PORT,
      user: 'postgres',
      database: 'postgres',
      max: 1,
      waitMs: DEFAULT_POOL_WAIT_MS,
    };
    return await openPool('embedded', conn, log, {
      async listen(channel, onMessage) {
        const set = listeners.get(channel) ?? new Set();
        set.add(onMessage);
        listeners.set(channel, set);
        return async () => void set.delete(onMessage);
      },
      async notify(channel, payload) {
        listeners.get(channel)?.forEach((fn) => fn(payload));
      },
      close: () => store.close(),
      copySend: (pool) => fileCopySender(dataDir, pool),
    });
  } catch (err) {
    await store.close();
    throw err;
  }
}

type Connection = Pick<PoolConfig, 'connectionString' | 'host' | 'port' | 'user' | 'database' | 'max'> & {
  /** How long a query waits for a connection of the pool. */
  readonly waitMs: number;
};
type PostgresConfig = Extract<DatabaseConfig, { kind: 'postgres' }>;
type Extras = Pick<OpenedDatabase, 'listen'> &
  Partial<Pick<OpenedDatabase, 'notify'>> & {
    close(): Promise<void>;
    /** Set: a failed first connection becomes one line naming this (see connect-error.ts). */
    where?: string;
    /** The store sends COPY TO STDOUT's data. */
    copyOut?: boolean;
    /** How COPY FROM STDIN's data reaches the store, when not by COPY's own stream. */
    copySend?(pool: Pool): Promise<CopySend>;
  };

/** Migrates over one connection, then opens the pool and the Prisma client on it. `extras.close` runs last. */
async function openPool(
  kind: OpenedDatabase['kind'],
  conn: Connection,
  log: Logger,
  extras: Extras,
): Promise<OpenedDatabase> {
  const { waitMs, ...poolConn } = conn;
  const client = new Client({ ...poolConn, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A connection cut under a migration statement also fails that statement, which fails the start; unlistened, its
  // 'error' event would end the process first.
  client.on('error', () => undefined);
  await client.connect().catch((err: unknown) => {
    throw extras.where === undefined ? err : connectFailure(extras.where, err);
  });
  try {
    await migrate(
      {
        query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
        exec: async (s) => void (await client.query(s)),
      },
      log,
    );
  } finally {
    await client.end();
  }
  // query_timeout: a connection that goes silent (a network partition: no reset, no answer) fails its query after
  // this instead of holding a request for the minutes TCP takes to notice; the connection is then discarded.
  const pool = new Pool({
    ...poolConn,
    connectionTimeoutMillis: waitMs,
    idleTimeoutMillis: 30_000,
    query_timeout: QUERY_TIMEOUT_MS,
  });
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database connection failed'));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const send = await extras.copySend?.(pool);
  return {
    kind,
    prisma,
    query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T[],
    copyIn: (sql, data, around) => copyIn(pool, sql, data, around, send),
    copyOut: extras.copyOut ? (sql, onData) => copyOut(pool, sql, onData) : undefined,
    ping: async (ms) =>
      void (await withTimeout(pool.query('SELECT 1'), ms, kind === 'embedded' ? 'embedded database' : 'database')),
    listen: extras.listen,
    notify:
      extras.notify ??
      (async (channel, payload) => void (await pool.query('SELECT pg_notify($1, $2)', [channel, payload]))),
    async close() {
      await closeWithin(
        (async () => {
          await prisma.$disconnect().catch(() => undefined);
          await pool.end().catch(() => undefined);
        })(),
        'the connection pool',
        log,
      );
      await extras.close();
    },
  };
}
