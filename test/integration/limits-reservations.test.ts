import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { Reservation } from '../../src/proxy/reservation';
import { limitKeys, readJson, startGateway, type InProcessGateway } from '../support/gateway';
import { generateKey } from '../support/management-api';
import { oneModelYaml, startProxy, type ProxySetup } from '../support/proxy-setup';
import { createTestDatabase } from '../support/postgres';
import { chatCompletion, startUpstream, type FakeUpstream } from '../support/upstream';

/**
 * Reservations: a call holds its worst case (prompt estimated from the body's bytes, plus its
 * max_tokens, at the deployment's price) against its key's budget and tpm limit while it runs, so 50 concurrent calls
 * against a small budget stay within one reservation of it: on one instance, and on two sharing Redis and PostgreSQL.
 */
const MASTER = 'sk-master-reservations-7f1';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const IN_COST = 0.00001;
const OUT_COST = 0.00003;
const USAGE = { prompt_tokens: 10, completion_tokens: 100 };
const CALL_COST = USAGE.prompt_tokens * IN_COST + USAGE.completion_tokens * OUT_COST;

const body = (maxTokens: number) =>
  JSON.stringify({ model: 'm', max_tokens: maxTokens, messages: [{ role: 'user', content: 'hi' }] });
/** What admission reserves for `body(maxTokens)`: its bytes / 4 as prompt, plus max_tokens. */
const reservedTokens = (maxTokens: number) => Math.ceil(Buffer.byteLength(body(maxTokens)) / 4) + maxTokens;
const reservedCost = (maxTokens: number) =>
  Math.ceil(Buffer.byteLength(body(maxTokens)) / 4) * IN_COST + maxTokens * OUT_COST;

const configFor = (upstreamUrl: string) =>
  oneModelYaml(MASTER, upstreamUrl, { input_cost_per_token: IN_COST, output_cost_per_token: OUT_COST });

async function generate(gw: InProcessGateway, fields: object): Promise<string> {
  return (await generateKey(gw.url, MASTER, fields)).key;
}

/** Runs `body` counting the worst cases worked out (Reservation.measure) meanwhile. */
async function countingMeasures(body: (measured: () => number) => Promise<void>): Promise<void> {
  const measure = Reservation.prototype.measure;
  let measured = 0;
  Reservation.prototype.measure = function (this: Reservation) {
    measured++;
    return measure.call(this);
  };
  try {
    await body(() => measured);
  } finally {
    Reservation.prototype.measure = measure;
  }
}

async function chatOnce(gw: InProcessGateway, key: string, payload: string) {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: payload,
  });
  return { status: res.status, text: await res.text() };
}

/** `n` calls at once, spread over the instances: the statuses and error codes. */
async function burst(gws: InProcessGateway[], key: string, n: number, maxTokens: number) {
  const results = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await fetch(`${gws[i % gws.length].url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body(maxTokens),
      });
      const json = await readJson(res);
      return { status: res.status, code: json?.error?.code as string | undefined };
    }),
  );
  return {
    ok: results.filter((r) => r.status === 200).length,
    refused: results.filter((r) => r.status !== 200),
  };
}

for (const mode of ['one instance', 'two instances, Redis'] as const) {
  describe(`reservations under concurrency (${mode})`, () => {
    let upstream: FakeUpstream;
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    const gws: InProcessGateway[] = [];

    before(async () => {
      // Slow enough that every call of a burst is admitted before any ends.
      upstream = await startUpstream(() => ({ json: chatCompletion('ok', USAGE), delayMs: 400 }));
      db = await createTestDatabase('gw_reservations');
      const env = { DATABASE_URL: db.url, ...(mode === 'one instance' ? {} : { REDIS_URL }) };
      gws.push(await startGateway(configFor(upstream.url), env));
      if (mode !== 'one instance') gws.push(await startGateway(configFor(upstream.url), env));
    });
    after(async () => {
      for (const gw of gws) await gw.close();
      await db?.drop();
      await upstream?.close();
    });

    it('50 concurrent calls on a key with max_budget 0.01 spend at most one reservation beyond it', async () => {
      const budget = 0.01;
      const key = await generate(gws[0], { max_budget: budget });
      const { ok, refused } = await burst(gws, key, 50, 100);
      assert.ok(ok >= 1, 'the first calls are served');
      assert.ok(
        ok * CALL_COST <= budget + reservedCost(100),
        `${ok} calls served cost ${ok * CALL_COST}, over ${budget} + one reservation ${reservedCost(100)}`,
      );
      assert.equal(refused.length, 50 - ok);
      assert.ok(
        refused.every((r) => r.status === 400 && r.code === 'budget_exceeded'),
        JSON.stringify(refused.slice(0, 3)),
      );
      // Settled to the real cost: once written, the spend the key reports is what the served calls cost.
      let spend = -1;
      for (let tries = 0; tries < 50 && Math.abs(spend - ok * CALL_COST) > 1e-9; tries++) {
        await new Promise((r) => setTimeout(r, 100));
        const info = await readJson(
          await fetch(`${gws[0].url}/key/info?key=${key}`, { headers: { authorization: `Bearer ${MASTER}` } }),
        );
        spend = info.info.spend;
      }
      assert.ok(Math.abs(spend - ok * CALL_COST) < 1e-9, `${spend} vs ${ok * CALL_COST}`);
    });

    it('the worst case is worked out only for a key with a tpm limit or a budget', () =>
      countingMeasures(async (measured) => {
        const limited = await generate(gws[0], { rpm_limit: 1000, max_parallel_requests: 10 });
        assert.equal((await chatOnce(gws[0], limited, body(10))).status, 200);
        assert.equal(measured(), 0, 'rpm and parallel limits need no worst case');
        const tpm = await generate(gws[0], { tpm_limit: 100_000 });
        assert.equal((await chatOnce(gws[0], tpm, body(10))).status, 200);
        assert.ok(measured() > 0, 'a tpm limit does');
      }));

    if (mode === 'one instance')
      it('a chunked body reserves its prompt from its bytes, as one with a Content-Length does', async () => {
        const key = await generate(gws[0], { tpm_limit: 1_000_000 });
        const content = 'é'.repeat(100);
        const spaced = JSON.stringify({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content }] }, null, 2);
        const prompts = new Map<Reservation, number>();
        const measure = Reservation.prototype.measure;
        Reservation.prototype.measure = function (this: Reservation) {
          const r = measure.call(this);
          prompts.set(r, r.promptTokens);
          return r;
        };
        try {
          assert.equal((await chatOnce(gws[0], key, spaced)).status, 200);
          const bytes = new TextEncoder().encode(spaced);
          const chunked = await fetch(`${gws[0].url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: new ReadableStream({ start: (c) => (c.enqueue(bytes), c.close()) }),
            duplex: 'half',
          });
          assert.equal(chunked.status, 200, await chunked.text());
        } finally {
          Reservation.prototype.measure = measure;
        }
        const tokens = Math.ceil(Buffer.byteLength(spaced) / 4);
        assert.deepEqual([...prompts.values()], [tokens, tokens]);
      });

    it('30 concurrent calls on a key with tpm_limit 100 use at most one reservation beyond it', async () => {
      const key = await generate(gws[0], { tpm_limit: 100 });
      const maxTokens = 10;
      upstream.respondWith(() => ({
        json: chatCompletion('ok', { prompt_tokens: 10, completion_tokens: maxTokens }),
        delayMs: 400,
      }));
      const { ok, refused } = await burst(gws, key, 30, maxTokens);
      const used = ok * (10 + maxTokens);
      assert.ok(ok >= 1, 'the first calls are served');
      assert.ok(used <= 100 + reservedTokens(maxTokens), `${ok} calls used ${used} tokens`);
      assert.ok(
        refused.every((r) => r.status === 429),
        JSON.stringify(refused.slice(0, 3)),
      );
    });

    if (mode !== 'one instance')
      it('a reservation whose holder died is freed once the scope has been idle past the lease', async () => {
        const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
        try {
          const k = await generateKey(gws[0].url, MASTER, { max_budget: 0.01 });
          assert.equal((await chatOnce(gws[0], k.key, body(10))).status, 200);
          // What an instance that died mid-call leaves once its set of calls has expired (idle for a lease): its
          // reservation in the budget hash, no entry in the set.
          const bud = `${limitKeys(gws[0], `k:${k.token}`)}bud`;
          await redis.hset(bud, 'dead:1', '1');
          await redis.hincrbyfloat(bud, 'r', 1);
          await redis.del(`${limitKeys(gws[0], `k:${k.token}`)}par`);
          const res = await chatOnce(gws[1], k.key, body(10));
          assert.equal(res.status, 200, `the dead holder's reservation no longer counts: ${res.text}`);
          assert.equal(await redis.hget(bud, 'dead:1'), null);
          assert.ok(Number(await redis.hget(bud, 'r')) < 0.01, 'the reserved total was rebuilt');

          // A deleted key takes its shared state with it (a key created again with its secret starts afresh).
          const del = await fetch(`${gws[0].url}/key/delete`, {
            method: 'POST',
            headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
            body: JSON.stringify({ keys: [k.key] }),
          });
          assert.equal(del.status, 200, await del.text());
          assert.equal(await redis.exists(bud), 0, 'the deleted key has no budget state left');
        } finally {
          await redis.quit();
        }
      });
  });
}

describe('disable_budget_reservation: no reservations at all', () => {
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;

  before(async () => {
    setup = await startProxy({
      database: 'gw_no_reservations',
      apiKey: MASTER,
      respond: () => ({ json: chatCompletion('ok', USAGE) }),
      yaml: (upstream) =>
        configFor(upstream).replace('general_settings:\n', 'general_settings:\n  disable_budget_reservation: true\n'),
    });
    ({ gw } = setup);
  });
  after(() => setup?.close());

  it('a tpm limit reserves nothing either: the tokens count when the call ends', () =>
    countingMeasures(async (measured) => {
      // A reservation (bytes / 4 + max_tokens) would be refused by the next call; the real use (110) is not.
      const key = await generate(gw, { tpm_limit: 200, max_budget: 1 });
      assert.equal((await chatOnce(gw, key, body(5000))).status, 200);
      assert.equal(measured(), 0, 'no worst case worked out');
    }));
});
