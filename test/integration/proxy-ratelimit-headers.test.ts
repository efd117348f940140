import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKey } from '../support/management-api';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatChunks, chatCompletion } from '../support/upstream';

/**
 * A rate limited key's answers carry no `x-ratelimit-*` headers: LiteLLM's default limiter answers per-scope names
 * (`x-ratelimit-api_key-*`, `-team-*`, ...) and only its legacy one the OpenAI-compatible names, and each header costs
 * every call of such a key Node's checks; LiteLLM's `x-litellm-key-*` headers stay. Its limits hold all the same: on
 * JSON answers and streams, with the limits in process and in Redis.
 */
const MASTER = 'sk-ratelimit-headers-master-1';
const USAGE = { prompt_tokens: 10, completion_tokens: 5 };
const rateLimitHeaders = (h: Headers) => [...h.keys()].filter((n) => n.startsWith('x-ratelimit-'));

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

    const call = (key: string, stream = false) =>
      fetch(`${setup.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream }),
      });

    it('answers none for a key with rpm and tpm limits, JSON or stream; its x-litellm-key-* headers stay', async () => {
      const { key } = await generateKey(setup.gw.url, MASTER, { rpm_limit: 5, tpm_limit: 1000, max_budget: 5 });
      for (const stream of [false, true]) {
        const r = await call(key, stream);
        assert.equal(r.status, 200);
        await r.text();
        assert.deepEqual(rateLimitHeaders(r.headers), [], `stream: ${stream}`);
        assert.equal(r.headers.get('x-litellm-key-max-budget'), '5');
        assert.ok(r.headers.has('x-litellm-key-spend'));
      }
    });

    it('still refuses the call over the rpm limit, with retry-after', async () => {
      const { key } = await generateKey(setup.gw.url, MASTER, { rpm_limit: 2 });
      for (const stream of [false, true]) {
        const r = await call(key, stream);
        assert.equal(r.status, 200);
        await r.text();
      }
      const refused = await call(key);
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      assert.deepEqual(rateLimitHeaders(refused.headers), []);
    });
  });
}
