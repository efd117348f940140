import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readJson, type InProcessGateway } from '../support/gateway';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import { startUpstream, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-health-deployments-master-1';
const GOOD_KEY = 'sk-upstream-good-secret-0001';
const BAD_KEY = 'sk-upstream-bad-secret-0002';

/** GET /health (an info route): which deployments are in rotation and which cool down; no upstream is called. */
describe('GET /health: deployments, healthy and cooling down', () => {
  let good: FakeUpstream;
  let bad: FakeUpstream;
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;
  const get = (credential: string | null) =>
    fetch(`${gw.url}/health`, { headers: credential ? { authorization: `Bearer ${credential}` } : {} });

  before(async () => {
    bad = await startUpstream(() => ({ json: { error: { message: 'boom' } }, status: 500 }));
    // The set-up's own upstream is the good one.
    setup = await startProxy({
      database: 'gw_health_dep',
      apiKey: MASTER,
      yaml: (goodUrl) => `
model_list:
  - model_name: gpt-good
    litellm_params: { model: openai/up-good, api_base: "${goodUrl}/v1?token=${GOOD_KEY}", api_key: ${GOOD_KEY} }
    model_info: { id: good-1 }
  - model_name: gpt-bad
    litellm_params: { model: azure/up-bad, api_base: "${bad.url}", api_key: ${BAD_KEY}, api_version: "2024-10-21" }
    model_info: { id: bad-1 }
general_settings:
  master_key: ${MASTER}
router_settings:
  num_retries: 0
  allowed_fails: 1
  cooldown_time: 60
`,
    });
    ({ up: good, gw } = setup);
  });
  after(async () => {
    await setup?.close();
    await bad?.close();
  });

  it('lists every deployment as healthy at start, without calling any upstream and without secrets', async () => {
    const res = await get(MASTER);
    assert.equal(res.status, 200);
    const text = await res.text();
    const body = JSON.parse(text);
    assert.equal(body.healthy_count, 2);
    assert.equal(body.unhealthy_count, 0);
    assert.deepEqual(
      body.healthy_endpoints.map((e: { model_id: string }) => e.model_id),
      ['good-1', 'bad-1'],
    );
    assert.equal(body.healthy_endpoints[0].api_base, `${good.url}/v1`, 'the api_base without its query');
    assert.equal(body.healthy_endpoints[1].model, 'azure/up-bad');
    for (const secret of [GOOD_KEY, BAD_KEY, MASTER]) assert.ok(!text.includes(secret), 'a secret in /health');
    assert.equal(good.requests.length + bad.requests.length, 0, '/health called an upstream');
  });

  it('checks only the model group of ?model= and the deployment of ?model_id=, as LiteLLM does', async () => {
    const of = async (q: string) => {
      const res = await fetch(`${gw.url}/health?${q}`, { headers: { authorization: `Bearer ${MASTER}` } });
      assert.equal(res.status, 200);
      const body = await readJson(res);
      return [...body.healthy_endpoints, ...body.unhealthy_endpoints].map((e: { model_id: string }) => e.model_id);
    };
    assert.deepEqual(await of('model=gpt-bad'), ['bad-1']);
    assert.deepEqual(await of('model_id=good-1'), ['good-1']);
    assert.deepEqual(await of('model=no-such-model'), []);
  });

  it('shows a deployment that failed allowed_fails times as unhealthy with its cooldown left', async () => {
    const call = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-bad', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(call.status, 502);
    const body = await readJson(await get(MASTER));
    assert.deepEqual([body.healthy_count, body.unhealthy_count], [1, 1]);
    assert.equal(body.healthy_endpoints[0].model_id, 'good-1');
    const sick = body.unhealthy_endpoints[0];
    assert.equal(sick.model_id, 'bad-1');
    assert.equal(sick.model_name, 'gpt-bad');
    assert.ok(
      sick.cooldown_remaining_seconds > 0 && sick.cooldown_remaining_seconds <= 60,
      String(sick.cooldown_remaining_seconds),
    );
    assert.match(sick.error, /cooling down/);
  });

  it('needs a credential, and shows a virtual key only the model groups it may use', async () => {
    assert.equal((await get(null)).status, 401);
    const gen = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ models: ['gpt-good'] }),
    });
    const key = (await readJson(gen)).key as string;
    const body = await readJson(await get(key));
    assert.deepEqual(
      body.healthy_endpoints.map((e: { model_name: string }) => e.model_name),
      ['gpt-good'],
    );
    assert.equal(body.unhealthy_count, 0);
  });
});
