import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { Caller } from '../../src/auth/caller';
import { GatewayError } from '../../src/common/errors/gateway-error';
import { CALL_ACCOUNTING, type Admission, type CallAccounting, type CallReport } from '../../src/proxy/call-accounting';
import { KeyCache } from '../../src/keys/key-cache.service';
import { AccessObjects } from '../../src/keys/access/access-objects.service';
import { KeysRedis } from '../../src/keys/redis/keys-redis.service';
import { SpendWriter } from '../../src/keys/spend/spend-writer.service';
import { readJson, startGateway, type InProcessGateway } from '../support/gateway';
import { KeyEventsService } from '../../src/keys/invalidation/key-events.service';
import { generateKey } from '../support/management-api';
import { createTestDatabase, sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-keys-accounting-01';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MASTER_CALLER: Caller = { role: 'master', via: 'master_key', scopes: [] };

const report = (promptTokens: number, completionTokens: number, cost: number): CallReport => ({
  modelGroup: 'm',
  deploymentId: 'm#0',
  promptTokens,
  completionTokens,
  cost,
  latencyMs: 1,
  ok: true,
});

async function refusal(p: () => Admission | Promise<Admission>, status: number): Promise<GatewayError> {
  try {
    await p();
  } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    assert.equal(err.status, status, err.message);
    return err;
  }
  assert.fail(`expected ${status}`);
}

for (const mode of ['in-process', 'redis'] as const) {
  describe(`keys: enforcement and spend on model calls (${mode} limits)`, () => {
    let gw: InProcessGateway;
    let gw2: InProcessGateway | undefined;
    let db: TestDatabase;
    let setup: ProxyOnDatabase | undefined;
    let accounting: CallAccounting;
    const redis = mode === 'redis' ? { REDIS_URL } : {};

    const generate = (body: object, on = gw) => generateKey(on.url, MASTER, body);
    /** A second instance on the same database (and Redis, in that mode), started once. */
    const second = async () =>
      (gw2 ??= await startGateway(`general_settings:\n  master_key: ${MASTER}\n`, { DATABASE_URL: db.url, ...redis }));
    const callerOf = (k: { token: string }, teamId?: string): Caller => ({
      role: 'virtual_key',
      via: 'virtual_key',
      token: k.token,
      teamId,
      scopes: [],
    });

    before(async () => {
      setup = await startProxy({
        database: 'gw_keys_acct',
        apiKey: MASTER,
        env: redis,
        yaml: `general_settings:\n  master_key: ${MASTER}\n`,
      });
      ({ db, gw } = setup);
      accounting = gw.app.get<CallAccounting>(CALL_ACCOUNTING);
    });
    after(async () => {
      await gw2?.close();
      await setup?.close();
    });

    it('a model outside the key models is refused with 401 naming it; /models gets the key list', async () => {
      const k = await generate({ models: ['gpt-a', 'gpt-b'] });
      (await accounting.admit(callerOf(k), 'gpt-a')).done(null);
      const e = await refusal(() => accounting.admit(callerOf(k), 'gpt-secret'), 401);
      assert.match(e.message, /gpt-secret/);
      assert.deepEqual(accounting.allowedModels(callerOf(k)), ['gpt-a', 'gpt-b']);
      const open = await generate({});
      (await accounting.admit(callerOf(open), 'anything')).done(null);
      assert.equal(accounting.allowedModels(callerOf(open)), null);
      const all = await generate({ models: ['all-proxy-models'] });
      (await accounting.admit(callerOf(all), 'anything')).done(null);
    });

    it('rpm_limit 5: the 6th call within a minute is 429 with retry-after', async () => {
      const k = await generate({ rpm_limit: 5 });
      for (let i = 0; i < 5; i++) (await accounting.admit(callerOf(k), 'm')).done(report(1, 1, 0));
      const e = await refusal(() => accounting.admit(callerOf(k), 'm'), 429);
      const retry = Number(e.headers?.['retry-after']);
      assert.ok(retry >= 1 && retry <= 61, String(retry));
      assert.match(e.message, /rpm_limit/);
      (await accounting.admit(MASTER_CALLER, 'm')).done(null); // the master key is never limited
    });

    it('max_parallel_requests holds under concurrency, and a finished call frees its slot', async () => {
      const k = await generate({ max_parallel_requests: 3 });
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => Promise.resolve().then(() => accounting.admit(callerOf(k), 'm'))),
      );
      const admitted = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as GatewayError] : []));
      assert.equal(admitted.length, 3);
      assert.ok(refused.every((e) => e.status === 429 && e.code === 'parallel_request_limit_exceeded'));
      admitted[0].done(report(1, 1, 0));
      admitted[0].done(report(1, 1, 0)); // a second done is ignored
      const again = await accounting.admit(callerOf(k), 'm');
      await refusal(() => accounting.admit(callerOf(k), 'm'), 429);
      for (const a of [again, admitted[1], admitted[2]]) a.done(null);
      (await accounting.admit(callerOf(k), 'm')).done(null);
    });

    it('tpm_limit: refused once the last minute used the tokens', async () => {
      const k = await generate({ tpm_limit: 100 });
      (await accounting.admit(callerOf(k), 'm')).done(report(40, 20, 0));
      (await accounting.admit(callerOf(k), 'm')).done(report(30, 15, 0));
      const e = await refusal(() => accounting.admit(callerOf(k), 'm'), 429);
      assert.match(e.message, /tpm_limit/);
    });

    it('a key whose spend reaches max_budget is refused with 400 budget_exceeded; spend shows in /key/info', async () => {
      const k = await generate({ max_budget: 1, team_id: `team-budget-${mode}` });
      (await accounting.admit(callerOf(k), 'm')).done(report(10, 10, 0.6));
      (await accounting.admit(callerOf(k), 'm')).done(report(10, 10, 0.6));
      const e = await refusal(() => accounting.admit(callerOf(k), 'm'), 400);
      assert.equal(e.code, 'budget_exceeded');
      assert.equal(e.type, 'budget_exceeded');
      // LiteLLM's wording, naming the key by its masked name, never the key itself.
      const masked = `sk-...${k.key.slice(-4)}`;
      assert.equal(e.message, `Budget has been exceeded! Key=${masked} Current cost: 1.2, Max budget: 1.0`);
      const info = await readJson(
        await fetch(`${gw.url}/key/info?key=${k.token}`, { headers: { authorization: `Bearer ${MASTER}` } }),
      );
      assert.ok(Math.abs(info.info.spend - 1.2) < 1e-9, String(info.info.spend));
      await gw.app.get(SpendWriter).flush();
      const [row] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [k.token]);
      assert.ok(Math.abs(row.spend - 1.2) < 1e-9);
      const [team] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM teams WHERE team_id = $1', [
        `team-budget-${mode}`,
      ]);
      assert.ok(Math.abs(team.spend - 1.2) < 1e-9);
    });

    it('spend of many concurrent calls adds up exactly, per key and per team (team JWTs too)', async () => {
      const team = `team-sum-${mode}`;
      const k = await generate({ team_id: team });
      const teamCaller: Caller = { role: 'team', via: 'jwt', teamId: team, scopes: [] };
      let expected = 0;
      let keyExpected = 0;
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const cost = (i % 7) * 0.001 + 0.0001;
          const viaKey = i % 4 !== 0;
          const a = await accounting.admit(viaKey ? callerOf(k, team) : teamCaller, 'm');
          await new Promise((r) => setTimeout(r, i % 5));
          a.done(report(3, 4, cost));
          expected += cost;
          if (viaKey) keyExpected += cost;
        }),
      );
      await gw.app.get(SpendWriter).flush();
      const [row] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [k.token]);
      const [t] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM teams WHERE team_id = $1', [team]);
      assert.ok(Math.abs(row.spend - keyExpected) < 1e-9, `${row.spend} vs ${keyExpected}`);
      assert.ok(Math.abs(t.spend - expected) < 1e-9, `${t.spend} vs ${expected}`);
    });

    it('a write answers the new totals of keys with a budget only; the others are written, not read back', async () => {
      const budgeted = await generate({ max_budget: 100 });
      const soft = await generate({ soft_budget: 100 });
      const plain = await generate({});
      const spend = gw.app.get(SpendWriter);
      await spend.flush();
      const answered: string[][] = [];
      spend.onFlushed((r) => answered.push([...r.keys.keys()]));
      for (const k of [budgeted, soft, plain]) spend.add(k.token, null, 0.5);
      await spend.flush();
      assert.deepEqual(answered.flat().sort(), [budgeted.token, soft.token].sort());
      const rows = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = ANY($1)', [
        [budgeted.token, soft.token, plain.token],
      ]);
      assert.deepEqual(
        rows.map((r) => r.spend),
        [0.5, 0.5, 0.5],
      );
    });

    it('a regenerated key keeps its unwritten spend', async () => {
      const k = await generate({});
      (await accounting.admit(callerOf(k), 'm')).done(report(1, 1, 0.25));
      const res = await fetch(`${gw.url}/key/regenerate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ key: k.token }),
      });
      const renewed = await readJson(res);
      await gw.app.get(SpendWriter).flush();
      const [row] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [
        renewed.token,
      ]);
      assert.equal(row.spend, 0.25);
    });

    it('a spend write racing with a regenerate follows the key to its new token', async () => {
      const k = await generate({});
      const newToken = 'f'.repeat(48) + Date.now().toString(16).padStart(16, '0');
      const spend = gw.app.get(SpendWriter);
      await spend.flush();
      const conn = new Client({ connectionString: db.url });
      await conn.connect();
      try {
        await conn.query('BEGIN');
        await conn.query('UPDATE virtual_keys SET token = $2 WHERE token = $1', [k.token, newToken]); // holds the row
        spend.expectRename(k.token, newToken);
        spend.add(k.token, null, 0.75);
        const writing = spend.flush(); // its UPDATE waits for the row, then finds no row under the old token
        await new Promise((r) => setTimeout(r, 300));
        await conn.query('COMMIT');
        await writing;
        await spend.flush();
      } finally {
        await conn.end();
      }
      const [row] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [newToken]);
      assert.equal(row.spend, 0.75);
    });

    it('a key regenerated on one instance keeps the spend another instance holds for it, also of calls still running', async () => {
      const other = await second();
      const otherAccounting = other.app.get<CallAccounting>(CALL_ACCOUNTING);
      const otherSpend = other.app.get(SpendWriter);
      const team = `regen-${mode}-${Date.now()}`;
      const k = await generate({ team_id: team });
      await otherSpend.flush();
      (await otherAccounting.admit(callerOf(k, team), 'm')).done(report(1, 1, 0.5)); // not yet written
      const running = await otherAccounting.admit(callerOf(k, team), 'm'); // ends after the regenerate
      const res = await fetch(`${gw.url}/key/regenerate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ key: k.token }),
      });
      const renewed = await readJson(res);
      assert.equal(res.status, 200);
      const deadline = Date.now() + 5_000;
      while (otherSpend.unflushed(renewed.token) !== 0.5) {
        assert.ok(Date.now() < deadline, 'the other instance moved the unwritten amount to the new token');
        await new Promise((r) => setTimeout(r, 20));
      }
      running.done(report(1, 1, 0.25));
      await otherSpend.flush();
      await otherSpend.flush(); // what the first write found no row for (the old token) goes to the new one
      const [row] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [
        renewed.token,
      ]);
      const [t] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM teams WHERE team_id = $1', [team]);
      assert.equal(row.spend, 0.75);
      assert.equal(t.spend, 0.75, 'key and team agree');
    });

    it("a spend total another instance broadcast is not lowered by this instance's own (older) write result", async () => {
      const k = await generate({ max_budget: 100 });
      const cache = gw.app.get(KeyCache);
      const spend = gw.app.get(SpendWriter);
      await spend.flush();
      (await accounting.admit(callerOf(k), 'm')).done(report(1, 1, 0.5)); // not yet written
      // The other instance wrote 2.0 for this key after the write this instance is about to make: its total arrives first.
      gw.app
        .get<KeyEventsService, { receive(p: string): void }>(KeyEventsService)
        .receive(JSON.stringify({ o: 'another-instance', t: 'spend', k: [[k.token, 2]], p: [] }));
      assert.equal(cache.get(k.token)!.spend, 2.5);
      await spend.flush(); // the database answers 0.5: only this write, in this test
      assert.equal(cache.get(k.token)!.spend, 2.5, 'the newer, higher total stands');
    });

    it('team limits count every key of the team and its JWTs together', async () => {
      const team = `team-${mode}-${Date.now()}`;
      const app = gw.app;
      const admin = async (path: string, body: object) => {
        const res = await fetch(`${gw.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        assert.equal(res.status, 200, JSON.stringify(await readJson(res)));
      };
      await admin('/team/new', { team_id: team, rpm_limit: 4, max_budget: 0.625 });
      await sql(db.url, 'UPDATE teams SET spend = 0.125 WHERE team_id = $1', [team]);
      await app.get(AccessObjects).reload('team', [team]);
      const k1 = await generate({ team_id: team });
      const k2 = await generate({ team_id: team });
      const jwt: Caller = { role: 'team', via: 'jwt', teamId: team, scopes: [] };
      (await accounting.admit(callerOf(k1, team), 'm')).done(report(1, 1, 0.125));
      (await accounting.admit(callerOf(k2, team), 'm')).done(report(1, 1, 0.125));
      (await accounting.admit(jwt, 'm')).done(report(1, 1, 0.125));
      (await accounting.admit(callerOf(k1, team), 'm')).done(null);
      const e = await refusal(() => accounting.admit(callerOf(k2, team), 'm'), 429);
      assert.match(e.message, /for this team/);
      (await accounting.admit(callerOf(await generate({}), undefined), 'm')).done(null); // other keys are not affected
      const k3 = await generate({ team_id: `${team}-b` });
      (await accounting.admit(callerOf(k3), 'm')).done(null);
      // budget (amounts exact in binary): 0.125 in the database + 0.375 recorded here, then one more call reaches 0.625
      await admin('/team/update', { team_id: team, rpm_limit: null });
      (await accounting.admit(jwt, 'm')).done(report(1, 1, 0.125));
      const over = await refusal(() => accounting.admit(callerOf(k1, team), 'm'), 400);
      assert.equal(over.code, 'budget_exceeded');
      assert.match(over.message, new RegExp(`^Budget has been exceeded! Team=${team} Current cost: `));
      await refusal(() => accounting.admit(jwt, 'm'), 400);
      await app.get(SpendWriter).flush();
      const [t] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM teams WHERE team_id = $1', [team]);
      assert.equal(t.spend, 0.625);
      await refusal(() => accounting.admit(jwt, 'm'), 400);
    });

    if (mode === 'redis') {
      it('two instances on one Redis share one rpm limit and one parallel limit', async () => {
        const other = (await second()).app.get<CallAccounting>(CALL_ACCOUNTING);
        const k = await generate({ rpm_limit: 5 });
        for (let i = 0; i < 5; i++) (await (i % 2 ? other : accounting).admit(callerOf(k), 'm')).done(null);
        await refusal(() => accounting.admit(callerOf(k), 'm'), 429);
        await refusal(() => other.admit(callerOf(k), 'm'), 429);
        const p = await generate({ max_parallel_requests: 2 });
        const a = await accounting.admit(callerOf(p), 'm');
        const b = await other.admit(callerOf(p), 'm');
        await refusal(() => other.admit(callerOf(p), 'm'), 429);
        await refusal(() => accounting.admit(callerOf(p), 'm'), 429);
        a.done(null);
        (await other.admit(callerOf(p), 'm')).done(null);
        b.done(null);
      });
    }

    it('database down: management answers 503, cached keys keep working, spend is kept and written once it is back', async () => {
      const k = await generate({ max_budget: 100 });
      (await accounting.admit(callerOf(k), 'm')).done(report(1, 1, 0.5));
      await gw.app.get(SpendWriter).flush();
      await sql(db.url.replace(/\/[^/]+$/, '/postgres'), `ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
      await sql(
        db.url.replace(/\/[^/]+$/, '/postgres'),
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [db.name],
      );
      try {
        const res = await fetch(`${gw.url}/key/generate`, {
          method: 'POST',
          headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
          body: '{}',
        });
        assert.equal(res.status, 503);
        const body = await readJson(res);
        assert.match(body.error.message, /database is unavailable/);
        const info = await fetch(`${gw.url}/key/info?key=${k.token}`, {
          headers: { authorization: `Bearer ${MASTER}` },
        });
        assert.equal(info.status, 503);
        const own = await fetch(`${gw.url}/key/list`, { headers: { authorization: `Bearer ${MASTER}` } });
        assert.equal(own.status, 503);
        for (let i = 0; i < 4; i++) (await accounting.admit(callerOf(k), 'm')).done(report(1, 1, 0.25)); // served from memory
        await gw.app.get(SpendWriter).flush(); // fails: kept for later
        assert.equal(gw.app.get(SpendWriter).unflushed(k.token), 1);
      } finally {
        await sql(db.url.replace(/\/[^/]+$/, '/postgres'), `ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`);
      }
      const deadline = Date.now() + 10_000;
      for (;;) {
        const [row] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [
          k.token,
        ]);
        if (row.spend === 1.5) break;
        assert.ok(Date.now() < deadline, `spend is ${row.spend}, expected 1.5`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const back = await fetch(`${gw.url}/key/info?key=${k.token}`, { headers: { authorization: `Bearer ${MASTER}` } });
      assert.equal(back.status, 200);
    });
  });
}

describe('keys: Redis unreachable', () => {
  let gw: InProcessGateway;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let closed = false;
  before(async () => {
    db = await createTestDatabase('gw_keys_noredis');
    // Port 1: always refused. (A port that was merely free when the test started can be taken by another test's
    // server meanwhile, and then the gateway's Redis client talks to that server instead of being refused.)
    gw = await startGateway(`general_settings:\n  master_key: ${MASTER}\n`, {
      DATABASE_URL: db.url,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
  });
  after(async () => {
    if (!closed) await gw?.close();
    await db?.drop();
  });

  it('the gateway still starts, manages keys and enforces limits in-process, and says so in the log', async () => {
    const res = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{"rpm_limit": 2}',
    });
    assert.equal(res.status, 200);
    const k = await readJson(res);
    const accounting = gw.app.get<CallAccounting>(CALL_ACCOUNTING);
    const caller: Caller = { role: 'virtual_key', via: 'virtual_key', token: k.token, scopes: [] };
    (await accounting.admit(caller, 'm')).done(null);
    (await accounting.admit(caller, 'm')).done(null);
    await refusal(() => accounting.admit(caller, 'm'), 429);
    assert.match(gw.logs.text(), /using in-process limits meanwhile/);
    assert.equal(
      (await fetch(`${gw.url}/key/info?key=${k.token}`, { headers: { authorization: `Bearer ${MASTER}` } })).status,
      200,
    );
  });

  it('closes without waiting on Redis, and leaves no reconnecting connection behind (nothing keeps the process alive)', async () => {
    const redis = gw.app.get(KeysRedis);
    const conns = [redis.client!, redis.subscriberConnection()];
    assert.ok(
      conns.every((c) => c.status !== 'ready'),
      'Redis is unreachable here',
    );
    const started = Date.now();
    closed = true;
    await gw.close();
    assert.ok(Date.now() - started < 5_000, `close took ${Date.now() - started} ms`);
    // A reconnect loop left running would keep the test process alive for ever: none may start after close.
    const attempts: string[] = [];
    for (const c of conns) for (const e of ['connecting', 'reconnecting', 'connect']) c.on(e, () => attempts.push(e));
    await new Promise((r) => setTimeout(r, 2_500)); // longer than the longest reconnect delay (2 s)
    assert.deepEqual(attempts, [], 'a Redis connection kept trying to reconnect after close');
  });
});
