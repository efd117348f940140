import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadGatewayConfig } from '../../src/config/config.loader';
import type { DatabaseService } from '../../src/database/database.service';
import { tempDir, writeConfig } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';
import { openDatabase } from '../support/database';

function configWith(url: string, extra: string) {
  const yaml = `general_settings:\n  master_key: sk-pool-limit-master-1234\n  database_url: ${url}\n${extra}`;
  return loadGatewayConfig({ argv: ['--config', writeConfig(yaml)], env: {}, cwd: tempDir('gw-cwd-') });
}

/**
 * `general_settings.database_connection_pool_limit` bounds the connections the gateway's pool opens, as in LiteLLM:
 * more queries at once than the limit share that many backends.
 */
describe('general_settings.database_connection_pool_limit', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  before(async () => {
    db = await createTestDatabase('gw_pool_limit');
  });
  after(async () => {
    await db?.drop();
  });

  /** The distinct backends that `n` queries running at once were served by. */
  async function backendsFor(extra: string, n: number): Promise<number> {
    const config = configWith(db.url, extra);
    const database = await openDatabase(config);
    try {
      const rows = await Promise.all(
        Array.from({ length: n }, () =>
          database.query<{ pid: number }>('SELECT pg_backend_pid() AS pid FROM pg_sleep(0.2)'),
        ),
      );
      return new Set(rows.map(([r]) => r.pid)).size;
    } finally {
      await database.onApplicationShutdown();
    }
  }

  it('opens at most that many connections however many queries wait', async () => {
    assert.equal(await backendsFor('  database_connection_pool_limit: 2\n', 6), 2);
  });

  it("opens up to LiteLLM's default of 10 without it", async () => {
    assert.equal(await backendsFor('', 12), 10);
  });

  it('database_connection_timeout bounds how long a query waits for a connection of a full pool', async () => {
    const open = (extra: string) => openDatabase(configWith(db.url, `  database_connection_pool_limit: 1\n${extra}`));
    /** The second query's failure (null: it was served), and whether it settled before the busy one ended. */
    const waits = async (database: DatabaseService) => {
      let busyDone = false;
      const busy = database.query('SELECT pg_sleep(2.5)').then(() => (busyDone = true));
      const second = await database.query('SELECT 1 AS one').then(
        () => null,
        (err: Error) => err,
      );
      const beforeBusy = !busyDone;
      await busy;
      return { second, beforeBusy };
    };
    const bounded = await open('  database_connection_timeout: 1\n');
    try {
      const { second, beforeBusy } = await waits(bounded);
      assert.ok(second, 'the query waited past database_connection_timeout');
      assert.match(second.message, /timeout/i);
      assert.ok(beforeBusy, 'it gave up only when the busy connection came free');
    } finally {
      await bounded.onApplicationShutdown();
    }
    // LiteLLM's older name, and the default (5 s) outlasting the busy connection.
    const older = configWith(db.url, '  database_connection_pool_timeout: 7\n');
    assert.equal(older.database.kind === 'postgres' && older.database.poolWaitMs, 7_000);
    const patient = await open('');
    try {
      assert.equal((await waits(patient)).second, null);
    } finally {
      await patient.onApplicationShutdown();
    }
  });

  it('reads the limit as LiteLLM does, never stopping the start: a fraction cut, anything else the default', () => {
    const cases: [string, number, RegExp | null][] = [
      ['2.5', 2, null],
      ['"3"', 3, null],
      ['0', 10, /not a number of at least 1; the default 10/],
      ['"many"', 10, /not a number of at least 1/],
      ['true', 10, /not a number of at least 1/],
      ['5000', 1000, /more than 1000; 1000 is used/],
    ];
    for (const [given, limit, warning] of cases) {
      const config = configWith(db.url, `  database_connection_pool_limit: ${given}\n`);
      assert.equal(config.database.kind === 'postgres' && config.database.poolLimit, limit, given);
      const warned = config.warnings.filter((w) => w.includes('database_connection_pool_limit'));
      if (warning === null) assert.deepEqual(warned, [], given);
      else assert.ok(warned.length === 1 && warning.test(warned[0]), `${given}: ${warned.join(' | ')}`);
    }
  });
});
