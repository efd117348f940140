import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKey } from '../support/management-api';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatChunks, chatCompletion } from '../support/upstream';

/**
 * LiteLLM's `x-litellm-key-spend` and `x-litellm-key-max-budget` answer headers on a virtual key's model calls (JSON
 * and streamed): the key's spend before the call, and its budget when it has one. Other callers get neither.
 */
const MASTER = 'sk-key-headers-master-0001';
const IN = 0.001;
const OUT = 0.002;
const USAGE = { prompt_tokens: 10, completion_tokens: 5 };
const COST = 10 * IN + 5 * OUT;

describe('x-litellm-key-spend and x-litellm-key-max-budget', () => {
  let setup: ProxyOnDatabase;

  before(async () => {
    setup = await startProxy({
      database: 'gw_key_headers',
      apiKey: MASTER,
      respond: (req) =>
        req.body?.stream === true ? { sse: chatChunks(['a', 'b'], USAGE) } : { json: chatCompletion('hi', USAGE) },
      yaml: (upstream) => `
model_list:
  - model_name: priced
    litellm_params: { model: openai/priced-up, api_base: ${upstream}/v1, api_key: sk-up }
    model_info: { input_cost_per_token: ${IN}, output_cost_per_token: ${OUT} }
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
      body: JSON.stringify({ model: 'priced', messages: [{ role: 'user', content: 'x' }], stream }),
    });
  const headersOf = async (key: string, stream = false) => {
    const r = await call(key, stream);
    assert.equal(r.status, 200);
    await r.text();
    return [r.headers.get('x-litellm-key-spend'), r.headers.get('x-litellm-key-max-budget')];
  };

  it("answers a key's spend before the call and its budget, on JSON answers and streams", async () => {
    const { key } = await generateKey(setup.gw.url, MASTER, { max_budget: 10 });
    assert.deepEqual(await headersOf(key), ['0', '10']);
    const [spend] = await headersOf(key);
    assert.ok(Math.abs(Number(spend) - COST) < 1e-12, `after one call: ${spend}`);
    // A JSON answer's spend is counted as it is sent, so the next call sees it.
    const [streamed, budget] = await headersOf(key, true);
    assert.ok(Math.abs(Number(streamed) - 2 * COST) < 1e-12, `after two calls: ${streamed}`);
    assert.equal(budget, '10');
  });

  it('leaves the budget out for a key without one, and both out for the master key', async () => {
    const { key } = await generateKey(setup.gw.url, MASTER);
    assert.deepEqual(await headersOf(key), ['0', null]);
    assert.deepEqual(await headersOf(MASTER), [null, null]);
    assert.deepEqual(await headersOf(MASTER, true), [null, null]);
  });
});
