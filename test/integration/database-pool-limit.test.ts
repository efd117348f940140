import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/config/config.error';
import { loadGatewayConfig } from '../../src/config/config.loader';
import { DatabaseService } from '../../src/database/database.service';
import { createLogger } from '../../src/logging/logger';
import { LogCapture, tempDir, writeConfig } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';

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
    const log = createLogger({ level: 'silent', secrets: [] }, new LogCapture());
    const database = await new DatabaseService(config, log).open();
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

  it('refuses a limit that is not a whole number of at least 1', () => {
    for (const bad of ['0', '2.5', '"many"']) {
      assert.throws(
        () => configWith(db.url, `  database_connection_pool_limit: ${bad}\n`),
        (err: unknown) => err instanceof ConfigError && /database_connection_pool_limit/.test(err.message),
      );
    }
  });
});
