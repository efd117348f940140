import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LISTENER_APPLICATION_NAME } from '../../src/database/pg-listener';
import { readJson, type SpawnedGateway } from '../support/gateway';
import { sql } from '../support/postgres';
import { spawnPair, startOnDatabase, type DatabaseSetup, type Pair } from '../support/proxy-setup';
import { chatCompletion } from '../support/upstream';

const MASTER = 'sk-master-keys-instances-1';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const IN_PRICE = 0.001;
const OUT_PRICE = 0.002;
const USAGE = { prompt_tokens: 11, completion_tokens: 7 };
const COST = USAGE.prompt_tokens * IN_PRICE + USAGE.completion_tokens * OUT_PRICE;

const config = (upstream: string) => `
model_list:
  - model_name: gpt-test
    litellm_params:
      model: openai/gpt-upstream
      api_base: ${upstream}
      api_key: sk-upstream-not-a-real-key
    model_info:
      input_cost_per_token: ${IN_PRICE}
      output_cost_per_token: ${OUT_PRICE}
general_settings:
  master_key: ${MASTER}
`;

async function chat(
  gw: SpawnedGateway,
  key: string,
): Promise<{ status: number; body: { error?: { message: string; code: string } }; retryAfter: string | null }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, body: await readJson(res), retryAfter: res.headers.get('retry-after') };
}

async function admin(gw: SpawnedGateway, path: string, body: object) {
  const res = await fetch(gw.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await readJson(res);
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

/**
 * Polls `probe` until it answers `status`; returns how long that took after `since`. `since` is the moment A
 * answered the change: it is committed and broadcast then. (The admin call's own time, a database transaction on
 * A, is not propagation; under a loaded machine it alone took up to ~250 ms.)
 */
async function until(
  probe: () => Promise<{ status: number }>,
  status: number,
  since: number,
  limitMs = 3_000,
): Promise<number> {
  for (;;) {
    if ((await probe()).status === status) return Date.now() - since;
    assert.ok(Date.now() - since < limitMs, `not ${status} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const broadcast of ['redis', 'postgres'] as const) {
  describe(`keys: two gateway processes on one database (${broadcast} broadcast)`, () => {
    let s: DatabaseSetup<Pair<SpawnedGateway>>;
    before(async () => {
      s = await startOnDatabase({
        dbPrefix: 'gw_keys_multi',
        respond: () => ({ json: chatCompletion('hello', USAGE) }),
        start: (upstream, db) =>
          spawnPair(config(upstream), { DATABASE_URL: db.url, ...(broadcast === 'redis' ? { REDIS_URL } : {}) }),
      });
    });
    after(() => s?.close());

    it('block, unblock, regenerate and delete on A are enforced on B within 1 second', async (ctx) => {
      const k = await admin(s.a, '/key/generate', {});
      assert.equal((await chat(s.b, k.key)).status, 200, 'B loads the key created on A');

      await admin(s.a, '/key/block', { key: k.token });
      let t = Date.now();
      const blockedAfter = await until(() => chat(s.b, k.key), 401, t);
      assert.ok(blockedAfter < 1_000, `blocked on B after ${blockedAfter} ms`);
      const seen = [blockedAfter];

      await admin(s.a, '/key/unblock', { key: k.token });
      t = Date.now();
      seen.push(await until(() => chat(s.b, k.key), 200, t));
      assert.ok(seen[1] < 1_000, `unblocked on B after ${seen[1]} ms`);

      const renewed = await admin(s.a, '/key/regenerate', { key: k.token });
      t = Date.now();
      seen.push(await until(() => chat(s.b, k.key), 401, t));
      assert.ok(seen[2] < 1_000, `old secret refused on B after ${seen[2]} ms`);
      assert.equal((await chat(s.b, renewed.key)).status, 200);

      await admin(s.a, '/key/delete', { keys: [renewed.token] });
      t = Date.now();
      seen.push(await until(() => chat(s.b, renewed.key), 401, t));
      assert.ok(seen[3] < 1_000, `deleted key refused on B after ${seen[3]} ms`);
      ctx.diagnostic(
        `seen on B after (ms): block ${seen[0]}, unblock ${seen[1]}, regenerate ${seen[2]}, delete ${seen[3]}`,
      );
    });

    it('an update on A (models) is enforced on B within 1 second', async (ctx) => {
      const k = await admin(s.a, '/key/generate', {});
      assert.equal((await chat(s.b, k.key)).status, 200);
      await admin(s.a, '/key/update', { key: k.token, models: ['another-model'] });
      const t = Date.now();
      const ms = await until(() => chat(s.b, k.key), 401, t);
      assert.ok(ms < 1_000, `${ms} ms`);
      ctx.diagnostic(`seen on B after ${ms} ms`);
      assert.match((await chat(s.b, k.key)).body.error!.message, /gpt-test/);
    });

    if (broadcast === 'redis') {
      it('an rpm limit of 5 is shared: the 6th call over both instances is 429 with retry-after', async () => {
        const k = await admin(s.a, '/key/generate', { rpm_limit: 5 });
        for (let i = 0; i < 5; i++) assert.equal((await chat(i % 2 ? s.b : s.a, k.key)).status, 200, `call ${i + 1}`);
        for (const gw of [s.a, s.b]) {
          const r = await chat(gw, k.key);
          assert.equal(r.status, 429);
          assert.ok(Number(r.retryAfter) >= 1, `retry-after ${r.retryAfter}`);
          assert.equal(r.body.error!.code, 'rate_limit_exceeded');
        }
      });
    }

    if (broadcast === 'postgres') {
      it('a lost LISTEN connection comes back by itself, and changes on A reach B within 1 second again', async () => {
        const k = await admin(s.a, '/key/generate', {});
        assert.equal((await chat(s.b, k.key)).status, 200);
        const listeners = () =>
          sql<{ pid: number }>(
            s.db.url,
            'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
            [s.db.name, LISTENER_APPLICATION_NAME],
          );
        const before = (await listeners()).map((r) => r.pid);
        assert.equal(before.length, 2, 'one listener per instance');
        await sql(
          s.db.url,
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
          [s.db.name, LISTENER_APPLICATION_NAME],
        );
        const deadline = Date.now() + 15_000;
        for (;;) {
          const now = (await listeners()).map((r) => r.pid);
          if (now.length === 2 && now.every((p) => !before.includes(p))) break;
          assert.ok(Date.now() < deadline, `listeners did not come back: ${JSON.stringify(now)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        await admin(s.a, '/key/block', { key: k.token });
        const t = Date.now();
        const ms = await until(() => chat(s.b, k.key), 401, t);
        assert.ok(ms < 1_000, `blocked on B after ${ms} ms`);
      });
    }

    it('spend survives SIGTERM right after a burst: the database sum equals the sum of the calls', async () => {
      const team = `team-burst-${broadcast}`;
      const k = await admin(s.a, '/key/generate', { team_id: team });
      const calls = await Promise.all(Array.from({ length: 60 }, (_, i) => chat(i % 2 ? s.a : s.b, k.key)));
      const ok = calls.filter((c) => c.status === 200).length;
      assert.equal(ok, 60);
      const [codeA, codeB] = await Promise.all([s.a.stop('SIGTERM'), s.b.stop('SIGTERM')]);
      assert.deepEqual([codeA, codeB], [0, 0]);
      const [row] = await sql<{ spend: number }>(s.db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [
        k.token,
      ]);
      const [t] = await sql<{ spend: number }>(s.db.url, 'SELECT spend FROM teams WHERE team_id = $1', [team]);
      assert.ok(Math.abs(row.spend - ok * COST) < 1e-9, `key spend ${row.spend}, calls ${ok * COST}`);
      assert.ok(Math.abs(t.spend - ok * COST) < 1e-9, `team spend ${t.spend}`);
    });
  });
}
