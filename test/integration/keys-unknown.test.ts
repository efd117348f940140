import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KeyCache } from '../../src/keys/key-cache.service';
import { hashSecret } from '../../src/keys/secrets/key-secret';
import type { InProcessGateway } from '../support/gateway';
import { chat, deafPair, helloAnswer, seedKeys, spyGatewayKeyQueries } from '../support/key-calls';
import { generateKey } from '../support/management-api';
import { sql } from '../support/postgres';
import { startOnDatabase, type DatabaseSetup, type Pair } from '../support/proxy-setup';

const MASTER = 'sk-master-keys-unknown-1';

/** No poll during the test (an hour), and no per-address limit of failures (the flood below is on purpose). */
const config = (upstream: string) => `
model_list:
  - model_name: gpt-test
    litellm_params:
      model: openai/gpt-upstream
      api_base: ${upstream}
      api_key: sk-upstream-not-a-real-key
general_settings:
  master_key: ${MASTER}
  user_api_key_cache_ttl: 3600
  max_auth_failures_per_minute: 0
`;

const isLogRead = (text: string) => /FROM virtual_keys WHERE change_seq > /.test(text);

describe('a hash not held while every key is: one shared, rate-bounded read of the change log', () => {
  let s: DatabaseSetup<Pair<InProcessGateway>>;
  before(async () => {
    s = await startOnDatabase({
      dbPrefix: 'gw_keys_unknown',
      respond: helloAnswer,
      start: async (upstream, db) => {
        await seedKeys(db.url, 1_000);
        return deafPair(config(upstream), db.url);
      },
    });
  });
  after(() => s?.close());

  it('a key made on another instance, or straight in the database, works on its first call there', async () => {
    assert.ok(s.b.app.get(KeyCache).holdsAllKeys);
    const made = await generateKey(s.a.url, MASTER);
    const t = Date.now();
    assert.equal((await chat(s.b.url, made.key)).status, 200, 'made on A, first call on B');
    await sql(
      s.db.url,
      `INSERT INTO virtual_keys (token, key_name, created_by, updated_at) VALUES ($1, 'sk-...ect', 'import', now())`,
      [hashSecret('sk-direct-import')],
    );
    assert.equal((await chat(s.b.url, 'sk-direct-import')).status, 200, 'inserted by hand, first call on B');
    assert.ok(Date.now() - t < 2_000, 'no poll was waited for');
    assert.equal((await chat(s.b.url, 'sk-never-made')).status, 401);
  });

  it('a credential of no key, non-ASCII, empty or too long, is refused in the OpenAI shape', async () => {
    const body = JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    for (const key of ['sk-\u00e9t\u00e9-no-key', 'sk-\u00ff'.repeat(40), 'sk-', `sk-${'a'.repeat(300)}`]) {
      const res = await fetch(`${s.b.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      });
      const answer = (await res.json()) as { error?: { type?: string; code?: string } };
      assert.equal(res.status, 401, key.slice(0, 12));
      assert.deepEqual([answer.error?.type, answer.error?.code], ['authentication_error', 'invalid_api_key'], key);
    }
  });

  it('a flood of made-up keys is refused from memory past a few reads a second; none is looked up', async (ctx) => {
    await new Promise((r) => setTimeout(r, 1_100)); // the reads of the test above are paid back
    // B's own statements: A, on Redis, may read keys that other test files' broadcasts name.
    const spy = spyGatewayKeyQueries(s.b);
    const t = Date.now();
    let sent = 0;
    try {
      for (let round = 0; round < 20; round++) {
        const calls = Array.from({ length: 25 }, () => chat(s.b.url, `sk-flood-${sent++}`));
        assert.deepEqual(new Set((await Promise.all(calls)).map((c) => c.status)), new Set([401]));
      }
    } finally {
      spy.stop();
    }
    assert.equal((await chat(s.b.url, 'sk-scale-7')).status, 200, 'a held key, after the flood');
    const seconds = (Date.now() - t) / 1000;
    const reads = spy.texts.filter(isLogRead).length;
    ctx.diagnostic(`${sent} made-up keys in ${seconds.toFixed(2)} s: ${reads} change-log reads`);
    assert.deepEqual(
      spy.texts.filter((q) => !isLogRead(q)),
      [],
      'only change-log reads',
    );
    assert.ok(reads > 0, "the spy sees B's change-log reads");
    assert.ok(reads <= 10 + Math.ceil(seconds * 10) + 1, `${reads} reads in ${seconds} s`);
    assert.ok(reads < sent / 10, `${reads} reads for ${sent} keys`);
  });
});
