import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { PG_ADMIN_URL, sql } from '../support/postgres';
import { oneModelYaml, startProxy } from '../support/proxy-setup';

const MASTER = 'sk-test-master-proxy-setup-1';

/** The databases on the test server whose names start with `prefix`. */
const databasesNamed = async (prefix: string) =>
  (
    await sql<{ datname: string }>(PG_ADMIN_URL, 'SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [
      prefix,
    ])
  ).map((r) => r.datname);

/** A name prefix no other run uses, so that what is left behind under it is this test's. */
const uniquePrefix = (what: string) => `gw_setup_${what}_${randomBytes(3).toString('hex')}`;

describe('startProxy on a fresh database (the test helper itself)', () => {
  it('runs the gateway on a database of its own, given as DATABASE_URL, and drops it on close', async () => {
    const prefix = uniquePrefix('ok');
    const s = await startProxy({ database: prefix, apiKey: MASTER, yaml: (up) => oneModelYaml(MASTER, up) });
    try {
      assert.deepEqual(await databasesNamed(prefix), [s.db.name]);
      assert.deepEqual(s.gw.config.database, {
        kind: 'postgres',
        url: s.db.url,
        source: 'DATABASE_URL',
        poolLimit: 10,
        poolWaitMs: 5_000,
      });
      const res = await s.client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      assert.ok(res.choices[0]?.message.content);
      assert.equal(s.up.requests.length, 1);
      const tables = await sql(s.db.url, "SELECT 1 FROM information_schema.tables WHERE table_schema = 'public'");
      assert.ok(tables.length > 0, 'the gateway set up its tables in the database');
    } finally {
      await s.close();
    }
    assert.deepEqual(await databasesNamed(prefix), []);
    await assert.rejects(fetch(s.up.url), 'the upstream is closed');
  });

  it('a gateway that fails to start leaves neither its database nor its upstream behind', async () => {
    const prefix = uniquePrefix('fail');
    let upstreamUrl = '';
    await assert.rejects(
      startProxy({
        database: prefix,
        apiKey: MASTER,
        yaml: (up) => ((upstreamUrl = up), 'model_list: 5\n'),
      }),
      /model_list/,
    );
    assert.ok(upstreamUrl);
    assert.deepEqual(await databasesNamed(prefix), []);
    await assert.rejects(fetch(upstreamUrl), 'the upstream is closed');
  });

  it('refuses a DATABASE_URL in env besides a database of its own', async () => {
    const prefix = uniquePrefix('both');
    await assert.rejects(
      startProxy({
        database: prefix,
        apiKey: MASTER,
        env: { DATABASE_URL: PG_ADMIN_URL },
        yaml: (up) => oneModelYaml(MASTER, up),
      }),
      /not both/,
    );
    assert.deepEqual(await databasesNamed(prefix), []);
  });
});
