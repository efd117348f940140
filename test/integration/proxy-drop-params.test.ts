import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import { chatCompletion, errorBody, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-master-proxy-drop-params';

/**
 * `litellm_settings.drop_params` holds for every deployment that does not say otherwise; a deployment's own
 * `drop_params` wins either way.
 */
describe('proxy: drop_params from litellm_settings', () => {
  let setup: ProxySetup;
  let up: FakeUpstream;

  before(async () => {
    setup = await startProxy({
      apiKey: MASTER,
      respond: (req) =>
        req.body?.temperature !== undefined
          ? { status: 400, json: errorBody("Unsupported parameter: 'temperature'", 'invalid_request_error') }
          : { json: chatCompletion('ok') },
      yaml: (upstream) => `model_list:
  - model_name: inherits
    litellm_params: { model: openai/gpt-a, api_base: ${upstream}/v1, api_key: sk-up }
  - model_name: strict
    litellm_params: { model: openai/gpt-b, api_base: ${upstream}/v1, api_key: sk-up, drop_params: false }
general_settings:
  master_key: ${MASTER}
litellm_settings:
  drop_params: true
router_settings:
  num_retries: 0
`,
    });
    up = setup.up;
  });
  after(() => setup?.close());
  beforeEach(() => up.reset());

  const ask = (model: string) =>
    fetch(`${setup.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], temperature: 0.5 }),
    });

  it('a deployment without its own drop_params drops the refused parameter and sends again', async () => {
    const res = await ask('inherits');
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();
    assert.equal(up.requests.length, 2);
    assert.equal(up.requests[0].body.temperature, 0.5);
    assert.equal('temperature' in up.requests[1].body, false);
  });

  it("a deployment's drop_params: false keeps the upstream's refusal", async () => {
    const res = await ask('strict');
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /temperature/);
    assert.equal(up.requests.length, 1);
  });
});
