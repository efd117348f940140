import { request } from 'node:http';
import { Client } from 'pg';
import { DatabaseService } from '../../src/database/database.service';
import { applyMigrations } from '../../src/database/migration-runner';
import { KeyCache } from '../../src/keys/key-cache.service';
import { startGateway, type InProcessGateway } from './gateway';
import type { Pair } from './proxy-setup';
import { chatCompletion, type Responder } from './upstream';

/** Every statement the gateway's pg clients send that reads or writes `virtual_keys` (Prisma's included). */
export function spyKeyQueries(): { count: () => number; texts: string[]; stop: () => void } {
  const original = Client.prototype.query;
  const texts: string[] = [];
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const q = args[0] as string | { text?: string };
    const text = typeof q === 'string' ? q : (q?.text ?? '');
    if (/virtual_keys/.test(text)) texts.push(text);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return { count: () => texts.length, texts, stop: () => void (Client.prototype.query = original) };
}

/**
 * The same, for one in-process gateway only: the statements its key cache sends through its DatabaseService. Another
 * gateway of the same process may read keys meanwhile, on broadcasts that other test files publish on the shared
 * Redis channel.
 */
export function spyGatewayKeyQueries(gw: InProcessGateway): { texts: string[]; stop: () => void } {
  const db = gw.app.get(DatabaseService);
  const texts: string[] = [];
  const query = db.query.bind(db);
  db.query = (sql: string, params?: unknown[]) => {
    if (/virtual_keys/.test(sql)) texts.push(sql);
    return query(sql, params);
  };
  return { texts, stop: () => void (db.query = query) };
}

/** A chat call from `localAddress` (another client address on the loopback network). */
export function chat(
  url: string,
  key: string,
  localAddress = '127.0.0.1',
): Promise<{ status: number; retryAfter?: string }> {
  const body = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/chat/completions`,
      {
        method: 'POST',
        localAddress,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The schema, then N keys in one statement (as an operator's import would): key i's secret is `sk-scale-<i>`. */
export async function seedKeys(url: string, n: number): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await applyMigrations({
      query: async <T>(s: string, p?: unknown[]) => (await c.query(s, p)).rows as T[],
      exec: async (s) => void (await c.query(s)),
    });
    await c.query(
      `INSERT INTO virtual_keys (token, key_name, created_by, updated_at)
       SELECT encode(sha256(convert_to('sk-scale-' || i, 'UTF8')), 'hex'), 'sk-...' || i, 'seed', now()
       FROM generate_series(1, $1) i`,
      [n],
    );
  } finally {
    await c.end();
  }
}

/**
 * Two in-process gateways on one database that do not hear each other: A broadcasts on Redis, B listens on
 * PostgreSQL, so B learns of A's key changes only from the change log. Resolves once B's keys are loaded.
 */
export async function deafPair(yaml: string, databaseUrl: string): Promise<Pair<InProcessGateway>> {
  const a = await startGateway(yaml, {
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  });
  let b: InProcessGateway | undefined;
  try {
    b = await startGateway(yaml, { DATABASE_URL: databaseUrl });
    await b.app.get(KeyCache).loaded();
  } catch (err) {
    await Promise.all([a.close(), b?.close()]);
    throw err;
  }
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
}

/** The fake upstream's answer for these tests: a completion of one token in, one out. */
export const helloAnswer: Responder = () => ({
  json: chatCompletion('hello', { prompt_tokens: 1, completion_tokens: 1 }),
});
