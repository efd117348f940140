import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/logging/logger';
import { SpendLogStore } from '../../src/spend/spend-log-store';
import { SpendLogWriter } from '../../src/spend/spend-log-writer.service';
import { LogCapture, readJson, startGateway, type InProcessGateway } from '../support/gateway';
import { startTcpProxy, waitFor, type TcpProxy } from '../support/faults';
import { createTestDatabase, sql } from '../support/postgres';
import { plainRow } from '../support/spend-rows';
import { chatCompletion, startUpstream, type FakeUpstream } from '../support/upstream';
import { openDatabase } from '../support/database';

/**
 * PostgreSQL goes away under load and comes back: spend log rows wait in memory and arrive after recovery, the
 * spend totals stay exact, and a buffer that fills drops its oldest rows (counted and logged) instead of growing.
 */
const MASTER = 'sk-faults-spend-master-01';
const IN = 0.001;
const OUT = 0.002;
const COST = 11 * IN + 7 * OUT;

async function proxiedDatabase(prefix: string) {
  const db = await createTestDatabase(prefix);
  const direct = new URL(db.url);
  const proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
  const via = new URL(db.url);
  via.port = String(proxy.port);
  return { db, proxy, url: via.toString() };
}

describe('spend logs across a database outage under load', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let up: FakeUpstream;
  let gw: InProcessGateway;

  before(async () => {
    const p = await proxiedDatabase('gw_faults_spend');
    db = p.db;
    proxy = p.proxy;
    up = await startUpstream();
    up.respondWith({ json: chatCompletion('ok') });
    gw = await startGateway(
      `
model_list:
  - model_name: gf
    litellm_params: { model: openai/gf-up, api_base: ${up.url}, api_key: sk-upstream-faults-spend }
    model_info: { input_cost_per_token: ${IN}, output_cost_per_token: ${OUT} }
general_settings:
  master_key: ${MASTER}
  proxy_batch_write_at: 0.2
`,
      { DATABASE_URL: p.url },
    );
  });
  after(async () => {
    await gw?.close();
    await proxy?.close();
    await up?.close();
    await db?.drop();
  });

  it('rows made while the database is down arrive after it is back; key spend equals the rows exactly', async () => {
    const res = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ team_id: 'team-f' }),
    });
    const key = (await readJson(res)) as { key: string; token: string };
    const call = async (i: number) => {
      const r = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', 'x-request-id': `out-${i}` },
        body: JSON.stringify({ model: 'gf', messages: [{ role: 'user', content: 'hi' }] }),
      });
      await r.arrayBuffer();
      return r.status;
    };
    assert.equal(await call(0), 200, 'the key is warm before the outage');
    await proxy.stop();
    const CALLS = 60;
    const statuses = await Promise.all(Array.from({ length: CALLS }, (_, i) => call(i + 1)));
    assert.ok(
      statuses.every((s) => s === 200),
      `calls served from memory during the outage: ${statuses.join()}`,
    );
    const buffered = async () => {
      const text = await (await fetch(`${gw.url}/metrics`)).text();
      return Number(/^gateway_spend_log_rows_buffered (\d+)$/m.exec(text)?.[1]);
    };
    await waitFor(async () => (await buffered()) >= CALLS, 'rows held while the database is down');
    await proxy.start();
    await waitFor(
      async () => (await sql<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM spend_logs'))[0].n === CALLS + 1,
      'every row written after recovery',
      30_000,
    );
    assert.equal(await buffered(), 0);
    const ids = await sql<{ request_id: string }>(db.url, 'SELECT request_id FROM spend_logs');
    assert.equal(new Set(ids.map((r) => r.request_id)).size, CALLS + 1, 'each call once');
    await waitFor(async () => {
      const [k] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [key.token]);
      return Math.abs(k.spend - (CALLS + 1) * COST) < 1e-9;
    }, 'key spend exact after recovery');
    const [rows] = await sql<{ s: number }>(db.url, 'SELECT sum(spend) AS s FROM spend_logs WHERE api_key = $1', [
      key.token,
    ]);
    assert.ok(Math.abs(rows.s - (CALLS + 1) * COST) < 1e-9);
  });
});

describe('spend log buffer: bounded while the database is away', () => {
  it('drops the oldest rows past its capacity, counts and logs them, and writes the rest after recovery', async () => {
    const { db, proxy, url } = await proxiedDatabase('gw_faults_spend_buf');
    const logs = new LogCapture();
    const log = createLogger({ level: 'info', secrets: [] }, logs);
    const database = await openDatabase(url, log);
    const config = { spend: { writeIntervalMs: 100_000, logs: true, retentionMs: null, retentionIntervalMs: 1 } };
    const writer = new SpendLogWriter(new SpendLogStore(database), log, config, 50);
    try {
      await proxy.stop();
      const now = Date.now();
      const row = (i: number) => plainRow(`buf-${i}`, now, 0.5);
      for (let i = 0; i < 120; i++) writer.append(row(i));
      await writer.flush(); // fails: the rows go back in front
      assert.equal(writer.pending, 50, 'never more than the capacity');
      assert.equal(writer.dropped, 70);
      assert.match(logs.text(), /spend log buffer full: oldest rows dropped/);
      await proxy.start();
      await waitFor(async () => {
        await writer.flush();
        return writer.pending === 0;
      }, 'buffer written after recovery');
      const ids = (await sql<{ id: string }>(db.url, 'SELECT id FROM spend_logs')).map((r) => r.id);
      assert.equal(ids.length, 50);
      assert.deepEqual(
        ids.map((id) => Number(id.slice(4))).sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => 70 + i),
        'the newest rows are the ones kept',
      );
    } finally {
      await database.onApplicationShutdown();
      await proxy.close();
      await db.drop();
    }
  });
});

describe('spend log store: a batch written again', () => {
  it('skips the rows already there (an earlier attempt committed, its answer was lost) and writes the rest', async () => {
    const db = await createTestDatabase('gw_spend_again');
    const database = await openDatabase(db.url);
    try {
      const store = new SpendLogStore(database);
      const now = Date.now();
      const row = (i: number) => plainRow(`again-${i}`, now, 0.25);
      await store.insert([row(1), row(2)]);
      await store.insert([row(1), row(2), row(3)]);
      const ids = (await sql<{ id: string }>(db.url, 'SELECT id FROM spend_logs ORDER BY id')).map((r) => r.id);
      assert.deepEqual(ids, ['again-1', 'again-2', 'again-3'], 'each row once');
    } finally {
      await database.onApplicationShutdown();
      await db.drop();
    }
  });
});

describe('spend log store: a partition that ends while a COPY waits on a silent connection', () => {
  it('fails that write, not the process; the next write and the pool work', async () => {
    const { db, proxy, url } = await proxiedDatabase('gw_faults_spend_cut');
    const database = await openDatabase(url);
    try {
      const store = new SpendLogStore(database);
      const now = Date.now();
      // Makes today's partition known (the next insert is the COPY alone) and leaves an idle pool connection.
      await store.insert([plainRow('cut-1', now, 0.25)]);
      proxy.blackhole();
      const copy = store.insert([plainRow('cut-2', now, 0.25)]).then(
        () => null,
        (err: Error) => err,
      );
      await new Promise((r) => setTimeout(r, 300)); // the COPY is waiting on the silent connection
      proxy.heal(); // the partition's end resets the connection under the COPY
      const failed = await copy;
      assert.ok(failed, 'the COPY cut by the reset succeeded');
      await database.ping(2_000);
      await store.insert([plainRow('cut-2', now, 0.25)]);
      const ids = (await sql<{ id: string }>(db.url, 'SELECT id FROM spend_logs ORDER BY id')).map((r) => r.id);
      assert.deepEqual(ids, ['cut-1', 'cut-2']);
    } finally {
      await database.onApplicationShutdown();
      await proxy.close();
      await db.drop();
    }
  });
});
