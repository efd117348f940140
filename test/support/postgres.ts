import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The server the tests use; CI and the machine have PostgreSQL here with trust auth. */
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  drop: () => Promise<void>;
}

/** Creates a fresh, empty database for one test file; `drop()` removes it (and any connections to it). */
export async function createTestDatabase(prefix = 'gw_test'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Runs one query against a database URL on a short-lived connection. */
/** The audit rows' actions for one object, oldest first. */
export async function auditActions(url: string, objectId: string): Promise<string[]> {
  const rows = await sql<{ action: string }>(url, 'SELECT action FROM audit_log WHERE object_id = $1 ORDER BY id', [
    objectId,
  ]);
  return rows.map((r) => r.action);
}

export async function sql<T = Record<string, unknown>>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}
