import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKey } from '../support/management-api';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatChunks, chatCompletion } from '../support/upstream';

/**
 * LiteLLM's documented rate limit answer headers of a key with an rpm or tpm limit,
 * `x-ratelimit-{limit,remaining}-{requests,tokens}`, from what the limiter counted at admission (its newer limiter's
 * per-scope `x-ratelimit-api_key-*` copies are not sent); on JSON answers and streams, with the limits in process
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
    const header = (what: string, kind: string, value: string) => ({ [`x-ratelimit-${what}-${kind}`]: value });

    it("answers the key's limits and what remains of them this minute", async () => {
      const { key } = await generateKey(setup.gw.url, MASTER, { rpm_limit: 5, tpm_limit: 1000 });
      assert.deepEqual(await headersOf(key), {
        ...header('limit', 'requests', '5'),
        ...header('remaining', 'requests', '4'),
        ...header('limit', 'tokens', '1000'),
        ...header('remaining', 'tokens', '1000'),
      });
      // The first call's 15 tokens are counted once it ended; this call is the second request of the minute.
      assert.deepEqual(await headersOf(key, true), {
        ...header('limit', 'requests', '5'),
        ...header('remaining', 'requests', '3'),
        ...header('limit', 'tokens', '1000'),
        ...header('remaining', 'tokens', '985'),
      });
    });

    it('names only the limits the key has; none for a key without rate limits or the master key', async () => {
      const { key: rpmOnly } = await generateKey(setup.gw.url, MASTER, { rpm_limit: 2 });
      assert.deepEqual(await headersOf(rpmOnly), {
        ...header('limit', 'requests', '2'),
        ...header('remaining', 'requests', '1'),
      });
      const { key: parallel } = await generateKey(setup.gw.url, MASTER, { max_parallel_requests: 3, max_budget: 5 });
      assert.deepEqual(await headersOf(parallel), {});
      const { key: free } = await generateKey(setup.gw.url, MASTER);
      assert.deepEqual(await headersOf(free), {});
      assert.deepEqual(await headersOf(MASTER, true), {});
    });
  });
}
