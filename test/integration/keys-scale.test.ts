import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KeyCache } from '../../src/keys/key-cache.service';
import { hashSecret } from '../../src/keys/secrets/key-secret';
import { startGateway, type InProcessGateway } from '../support/gateway';
import { chat, deafPair, helloAnswer, seedKeys as seed, spyKeyQueries } from '../support/key-calls';
import { sql } from '../support/postgres';
import { startOnDatabase, type DatabaseSetup, type Gateways, type Pair } from '../support/proxy-setup';

const MASTER = 'sk-master-keys-scale-1';
const N = 10_000;
const secretOf = (i: number) => `sk-scale-${i}`;

const config = (upstream: string, extra = '') => `
model_list:
  - model_name: gpt-test
    litellm_params:
      model: openai/gpt-upstream
      api_base: ${upstream}
      api_key: sk-upstream-not-a-real-key
general_settings:
  master_key: ${MASTER}
  user_api_key_cache_ttl: 3600
${extra}`;

type OneGateway = Gateways & { gw: InProcessGateway };

/** One gateway on a database seeded with `n` keys, once it has loaded them. */
async function seededGateway(yaml: string, dbUrl: string, n: number): Promise<OneGateway> {
  await seed(dbUrl, n);
  const gw = await startGateway(yaml, { DATABASE_URL: dbUrl });
  await gw.app.get(KeyCache).loaded();
  return { gw, close: () => gw.close() };
}

describe('keys at scale: bulk-loaded at start, unknown keys and floods from memory', () => {
  let s: DatabaseSetup<OneGateway>;
  before(async () => {
    s = await startOnDatabase({
      dbPrefix: 'gw_keys_scale',
      respond: helloAnswer,
      start: (upstream, db) => seededGateway(config(upstream), db.url, N),
    });
  });
  after(() => s?.close());

  it(`holds all ${N} keys after start: cold keys cost no query, unknown keys no lookup of their own`, async () => {
    assert.ok(s.gw.app.get(KeyCache).holdsAllKeys);
    const spy = spyKeyQueries();
    try {
      for (let i = 1; i <= 40; i++) assert.equal((await chat(s.gw.url, secretOf(i * 97))).status, 200, `key ${i * 97}`);
      assert.equal(spy.count(), 0, spy.texts.join('\n'));
      for (let i = 0; i < 20; i++) assert.equal((await chat(s.gw.url, `sk-made-up-${i}`, '127.0.0.3')).status, 401);
      // An unknown hash may cost a share of a change-log read (rate-bounded: keys-unknown.test.ts), never a lookup.
      assert.deepEqual(
        spy.texts.filter((t) => !t.includes('change_seq >')),
        [],
      );
    } finally {
      spy.stop();
    }
  });

  it('a flood of failed credentials from one address gets 429, while another client is served', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 110; i++) statuses.push((await chat(s.gw.url, `sk-flood-${i}`, '127.0.0.4')).status);
    assert.deepEqual(statuses.slice(0, 100), Array(100).fill(401), 'max_auth_failures_per_minute: 100 by default');
    assert.deepEqual(statuses.slice(100), Array(10).fill(429));
    const refused = await chat(s.gw.url, 'sk-flood-again', '127.0.0.4');
    assert.ok(Number(refused.retryAfter) >= 1 && Number(refused.retryAfter) <= 60, refused.retryAfter);
    assert.equal((await chat(s.gw.url, secretOf(5), '127.0.0.4')).status, 200, 'a key held in memory costs nothing');
    assert.equal((await chat(s.gw.url, secretOf(6), '127.0.0.5')).status, 200, 'another client');
    assert.equal((await chat(s.gw.url, 'sk-typo', '127.0.0.5')).status, 401, "another client's failure is its own");
  });
});

describe('keys beyond key_cache_max_keys: misses read together', () => {
  let s: DatabaseSetup<OneGateway>;
  before(async () => {
    s = await startOnDatabase({
      dbPrefix: 'gw_keys_bound',
      respond: helloAnswer,
      start: (upstream, db) => seededGateway(config(upstream, '  key_cache_max_keys: 100'), db.url, 1_000),
    });
  });
  after(() => s?.close());

  it('concurrent misses are one query; concurrent calls with cold keys fewer than one each', async (ctx) => {
    const cache = s.gw.app.get(KeyCache);
    assert.equal(cache.holdsAllKeys, false);
    const spy = spyKeyQueries();
    try {
      const tokens = Array.from({ length: 50 }, (_, i) => hashSecret(secretOf(500 + i)));
      tokens.push(hashSecret('sk-not-a-key'));
      const found = await Promise.all(tokens.map((t) => cache.findByHash(t)));
      assert.equal(found.filter((k) => k !== null).length, 50);
      assert.equal(spy.count(), 1, spy.texts.join('\n'));
      const calls = await Promise.all(Array.from({ length: 100 }, (_, i) => chat(s.gw.url, secretOf(600 + i))));
      assert.deepEqual(new Set(calls.map((c) => c.status)), new Set([200]));
      // Misses that arrive while a read runs share the next one (here the client shares the process, so few do).
      const reads = spy.texts.filter((t) => t.includes('token = ANY')).length - 1;
      assert.ok(reads < 100, `${reads} reads for 100 concurrent cold keys`);
      ctx.diagnostic(`${reads} reads for 100 concurrent calls with cold keys`);
    } finally {
      spy.stop();
    }
  });
});

describe('keys changed on another instance whose broadcast never arrives', () => {
  let s: DatabaseSetup<Pair<InProcessGateway>>;
  before(async () => {
    s = await startOnDatabase({
      dbPrefix: 'gw_keys_log',
      respond: helloAnswer,
      start: (upstream, db) =>
        deafPair(config(upstream).replace('user_api_key_cache_ttl: 3600', 'user_api_key_cache_ttl: 0.5'), db.url),
    });
  });
  after(() => s?.close());

  async function admin(path: string, body: object): Promise<{ key: string; token: string }> {
    const res = await fetch(s.a.url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as { key: string; token: string };
  }

  /** How long until B answers `status` for `key` (the bound: user_api_key_cache_ttl, 0.5 s, plus a read). */
  async function seenOnB(key: string, status: number): Promise<number> {
    const t = Date.now();
    for (;;) {
      if ((await chat(s.b.url, key, '127.0.0.6')).status === status) return Date.now() - t;
      assert.ok(Date.now() - t < 3_000, `B does not answer ${status} after 3 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('created, blocked, regenerated and deleted on A: B follows within the poll interval', async (ctx) => {
    assert.ok(s.b.app.get(KeyCache).holdsAllKeys);
    const k = await admin('/key/generate', {});
    const seen = [await seenOnB(k.key, 200)];
    await admin('/key/block', { key: k.token });
    seen.push(await seenOnB(k.key, 401));
    await admin('/key/unblock', { key: k.token });
    seen.push(await seenOnB(k.key, 200));
    const renewed = await admin('/key/regenerate', { key: k.token });
    seen.push(await seenOnB(k.key, 401), await seenOnB(renewed.key, 200));
    await admin('/key/delete', { keys: [renewed.token] });
    seen.push(await seenOnB(renewed.key, 401));
    for (const ms of seen) assert.ok(ms < 2_000, `${ms} ms`);
    ctx.diagnostic(`seen on B after (ms): ${seen.join(', ')}`);
    const rows = await sql<{ n: string }>(s.db.url, 'SELECT count(*) AS n FROM virtual_key_tombstones');
    assert.equal(Number(rows[0].n), 2, 'the old token of the regenerated key, and the deleted one');
  });
});
