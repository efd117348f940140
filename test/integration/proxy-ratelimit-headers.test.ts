import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKey } from '../support/management-api';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatChunks, chatCompletion } from '../support/upstream';

/**
 * LiteLLM's rate limit answer headers of a key with an rpm or tpm limit: `x-ratelimit-api_key-{limit,remaining}-
 * {requests,tokens}` (its limiter's names) and `x-ratelimit-{limit,remaining}-{requests,tokens}` (its legacy
 * limiter's), from what the limiter counted at admission; on JSON answers and streams, with the limits in process
 * and in Redis. A key without such limits, and the master key, get none.
 */
const MASTER = 'sk-ratelimit-headers-master-1';
const USAGE = { prompt_tokens: 10, completion_tokens: 5 };
const NAMES = ['requests', 'tokens'].flatMap((kind) =>
  ['limit', 'remaining'].flatMap((what) => [`x-ratelimit-api_key-${what}-${kind}`, `x-ratelimit-${what}-${kind}`]),
);

for (const shared of [false, true]) {
  describe(`x-ratelimit-* answer headers of a rate limited key (${shared ? 'Redis' : 'in process'})`, () => {
    let setup: ProxyOnDatabase;

    before(async () => {
      setup = await startProxy({
        database: 'gw_ratelimit_headers',
        apiKey: MASTER,
        env: { REDIS_URL: shared ? 'redis://127.0.0.1:6379' : undefined },
        respond: (req) =>
          req.body?.stream === true ? { sse: chatChunks(['a', 'b'], USAGE) } : { json: chatCompletion('hi', USAGE) },
        yaml: (upstream) => `
model_list:
  - model_name: m
    litellm_params: { model: openai/m-up, api_base: ${upstream}/v1, api_key: sk-up }
general_settings:
  master_key: ${MASTER}
`,
      });
    });
    after(() => setup?.close());

    const headersOf = async (key: string, stream = false) => {
      const r = await fetch(`${setup.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream }),
      });
      assert.equal(r.status, 200);
      await r.text();
      return Object.fromEntries(NAMES.flatMap((n) => (r.headers.has(n) ? [[n, r.headers.get(n)]] : [])));
    };
    const both = (what: string, kind: string, value: string) => ({
      [`x-ratelimit-api_key-${what}-${kind}`]: value,
      [`x-ratelimit-${what}-${kind}`]: value,
    });

    it("answers the key's limits and what remains of them this minute", async () => {
      const { key } = await generateKey(setup.gw.url, MASTER, { rpm_limit: 5, tpm_limit: 1000 });
      assert.deepEqual(await headersOf(key), {
        ...both('limit', 'requests', '5'),
        ...both('remaining', 'requests', '4'),
        ...both('limit', 'tokens', '1000'),
        ...both('remaining', 'tokens', '1000'),
      });
      // The first call's 15 tokens are counted once it ended; this call is the second request of the minute.
      assert.deepEqual(await headersOf(key, true), {
        ...both('limit', 'requests', '5'),
        ...both('remaining', 'requests', '3'),
        ...both('limit', 'tokens', '1000'),
        ...both('remaining', 'tokens', '985'),
      });
    });

    it('names only the limits the key has; none for a key without rate limits or the master key', async () => {
      const { key: rpmOnly } = await generateKey(setup.gw.url, MASTER, { rpm_limit: 2 });
      assert.deepEqual(await headersOf(rpmOnly), {
        ...both('limit', 'requests', '2'),
        ...both('remaining', 'requests', '1'),
      });
      const { key: parallel } = await generateKey(setup.gw.url, MASTER, { max_parallel_requests: 3, max_budget: 5 });
      assert.deepEqual(await headersOf(parallel), {});
      const { key: free } = await generateKey(setup.gw.url, MASTER);
      assert.deepEqual(await headersOf(free), {});
      assert.deepEqual(await headersOf(MASTER, true), {});
    });
  });
}
