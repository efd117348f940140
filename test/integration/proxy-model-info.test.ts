import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { readJson, type InProcessGateway } from '../support/gateway';
import { openaiClient, startProxy, type ProxySetup } from '../support/proxy-setup';
import type { FakeUpstream } from '../support/upstream';

const MASTER = 'sk-test-master-key-info-1234';
const SECRETS = [
  'sk-openai-upstream-secret-1111',
  'azure-upstream-secret-2222',
  'basic-auth-pass-3333',
  'query-token-4444',
];

describe('proxy /model/info and the keys seam end to end', () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;

  before(async () => {
    setup = await startProxy({
      apiKey: MASTER,
      env: { OPENAI_KEY: SECRETS[0] },
      yaml: (upstream) => `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: ${upstream}/v1
      api_key: os.environ/OPENAI_KEY
      rpm: 100
      timeout: 30
    model_info:
      id: gpt4o-primary
      input_cost_per_token: 0.001
      output_cost_per_token: 0.002
  - model_name: azure-gpt
    litellm_params:
      model: azure/dep-1
      api_base: ${upstream.replace('http://', 'http://user:basic-auth-pass-3333@')}/?token=query-token-4444
      api_key: azure-upstream-secret-2222
      api_version: "2024-10-21"
      organization: org-visible
general_settings:
  master_key: ${MASTER}
`,
    });
    ({ up, gw } = setup);
  });
  after(() => setup?.close());

  const get = (path: string, key = MASTER) => fetch(gw.url + path, { headers: { authorization: `Bearer ${key}` } });

  it('lists deployments in LiteLLM shape with no secret anywhere', async () => {
    for (const path of ['/model/info', '/v1/model/info']) {
      const r = await get(path);
      assert.equal(r.status, 200);
      const text = await r.text();
      for (const s of [...SECRETS, MASTER]) assert.ok(!text.includes(s), `${path} shows a secret`);
      assert.doesNotMatch(text, /api_key/);
      const body = JSON.parse(text);
      assert.equal(body.data.length, 2);
      const [openai, azure] = body.data;
      assert.equal(openai.model_name, 'gpt-4o');
      assert.deepEqual(openai.litellm_params, {
        model: 'openai/gpt-4o',
        api_base: `${up.url}/v1`,
        rpm: 100,
        timeout: 30,
      });
      assert.equal(openai.model_info.id, 'gpt4o-primary');
      assert.equal(openai.model_info.input_cost_per_token, 0.001);
      assert.equal(azure.litellm_params.api_base, up.url);
      assert.equal(azure.litellm_params.api_version, '2024-10-21');
      assert.equal(azure.litellm_params.organization, 'org-visible');
      assert.equal(azure.model_info.id, 'azure-gpt#1');
    }
  });

  it('answers one deployment for litellm_model_id (the x-litellm-model-id of an answer), as LiteLLM does', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'azure-gpt', messages: [{ role: 'user', content: 'x' }] }),
    });
    const id = res.headers.get('x-litellm-model-id');
    assert.equal(id, 'azure-gpt#1');
    const one = await readJson(await get(`/model/info?litellm_model_id=${encodeURIComponent(id)}`));
    assert.deepEqual(
      one.data.map((d: any) => [d.model_name, d.model_info.id]),
      [['azure-gpt', 'azure-gpt#1']],
    );
    const missing = await get('/v1/model/info?litellm_model_id=no-such-id');
    assert.equal(missing.status, 400);
    assert.match((await readJson(missing)).error.message, /no-such-id/);
    const limited = await readJson(
      await fetch(`${gw.url}/key/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ models: ['gpt-4o'] }),
      }),
    );
    assert.equal((await get('/model/info?litellm_model_id=azure-gpt%231', limited.key)).status, 400, 'not its model');
  });

  it("lists a team key's models as its team's when the key names none, as LiteLLM does", async () => {
    const post = (path: string, body: object) =>
      fetch(gw.url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await post('/team/new', { team_id: 'team-only-4o', models: ['gpt-4o'] })).status, 200);
    const { key } = await readJson(await post('/key/generate', { team_id: 'team-only-4o' }));
    const listed = await readJson(await get('/v1/models', key));
    assert.deepEqual(
      listed.data.map((m: { id: string }) => m.id),
      ['gpt-4o'],
      'a model the team may not use is not listed',
    );
    const info = await readJson(await get('/model/info', key));
    assert.deepEqual(
      info.data.map((d: { model_name: string }) => d.model_name),
      ['gpt-4o'],
    );
    const own = await readJson(await post('/key/generate', { team_id: 'team-only-4o', models: ['azure-gpt'] }));
    assert.deepEqual(
      (await readJson(await get('/v1/models', own.key))).data.map((m: { id: string }) => m.id),
      ['azure-gpt'],
      "a key's own models come first, as in LiteLLM",
    );
  });

  it('keeps the query of an api_base when calling it', async () => {
    const client = openaiClient(gw.url, MASTER);
    await client.chat.completions.create({ model: 'azure-gpt', messages: [{ role: 'user', content: 'x' }] });
    const seen = up.requests.at(-1)!;
    assert.equal(seen.path, '/openai/deployments/dep-1/chat/completions');
    assert.deepEqual(seen.query, { 'api-version': '2024-10-21', token: 'query-token-4444' });
  });

  it('a virtual key sees only its models, is refused others, and its spend grows with each call', async () => {
    const gen = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ models: ['gpt-4o'] }),
    });
    assert.equal(gen.status, 200);
    const { key } = await readJson(gen);
    const models = await readJson(await get('/v1/models', key));
    assert.deepEqual(
      models.data.map((m: { id: string }) => m.id),
      ['gpt-4o'],
    );
    const info = await readJson(await get('/model/info', key));
    assert.deepEqual(
      info.data.map((d: { model_name: string }) => d.model_name),
      ['gpt-4o'],
    );
    const client = openaiClient(gw.url, key);
    await assert.rejects(
      client.chat.completions.create({ model: 'azure-gpt', messages: [{ role: 'user', content: 'x' }] }),
      (e: unknown) => e instanceof OpenAI.APIError && e.status === 401,
    );
    const sent = up.requests.length;
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(up.requests.length, sent + 1);
    assert.doesNotMatch(JSON.stringify(up.requests.at(-1)!.headers), new RegExp(key));
    // 11 prompt and 7 completion tokens at 0.001 / 0.002.
    const expected = 11 * 0.001 + 7 * 0.002;
    let spend = 0;
    for (let i = 0; i < 50 && Math.abs(spend - expected) > 1e-9; i++) {
      spend = (await readJson(await get('/key/info', key))).info?.spend ?? 0;
      if (Math.abs(spend - expected) > 1e-9) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(Math.abs(spend - expected) < 1e-9, `spend ${spend}, expected ${expected}`);
  });
});
