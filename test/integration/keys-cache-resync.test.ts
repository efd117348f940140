import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KeyCache } from '../../src/keys/key-cache.service';
import type { InProcessGateway } from '../support/gateway';
import { generateKey } from '../support/management-api';
import { sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-cache-resync-01';

describe('keys: the key cache resynchronised at its key_cache_max_keys bound', () => {
  let gw: InProcessGateway;
  let db: TestDatabase;
  let setup: ProxyOnDatabase | undefined;
  before(async () => {
    setup = await startProxy({
      database: 'gw_cache_resync',
      apiKey: MASTER,
      yaml: `general_settings:\n  master_key: ${MASTER}\n  key_cache_max_keys: 4\n`,
    });
    ({ gw, db } = setup);
  });
  after(() => setup?.close());

  it('a valid key is still held after a resync that met a deleted and a new key', async () => {
    const cache = gw.app.get(KeyCache);
    const internals = cache as unknown as { poll(): Promise<void>; resync(): void };
    await cache.loaded();
    const keys = [];
    for (let i = 0; i < 4; i++) keys.push(await generateKey(gw.url, MASTER, {}));
    assert.equal(cache.holdsAllKeys, true);
    await internals.poll();
    await new Promise((r) => setTimeout(r, 10_500)); // past the change log's commit-lag window
    await internals.poll();
    // A broadcast gap: another instance deleted keys[2] and created a key (written here straight to the table).
    await sql(db.url, 'DELETE FROM virtual_keys WHERE token = $1', [keys[2].token]);
    await sql(
      db.url,
      `INSERT INTO virtual_keys (token, key_name, created_by, updated_at) VALUES ($1, 'sk-...zzzz', 'master_key', now())`,
      ['f'.repeat(64)],
    );
    internals.resync(); // what a broadcast reconnect does
    await new Promise((r) => setTimeout(r, 50));
    await cache.loaded();
    await new Promise((r) => setTimeout(r, 200));
    for (const k of [keys[0], keys[1], keys[3]]) {
      const res = await fetch(`${gw.url}/key/info`, { headers: { authorization: `Bearer ${k.key}` } });
      assert.equal(res.status, 200, `key ${k.token.slice(0, 8)} answered ${res.status}`);
    }
  });
});
