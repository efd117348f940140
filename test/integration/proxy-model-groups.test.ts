import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKey, managementApi } from '../support/management-api';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

/**
 * LiteLLM's `/model_group/info` (each group summed up: providers, limits, prices, mode) and `/v2/model/info` (the
 * deployments of `/model/info`, paged), built from the loaded config, and only the groups the caller may use.
 */
const MASTER = 'sk-model-groups-master-0001';
const SECRET = 'sk-azure-upstream-secret-7777';

describe('/model_group/info and /v2/model/info', () => {
  let setup: ProxyOnDatabase;
  const api = () => managementApi(() => setup.gw.url, MASTER);

  before(async () => {
    setup = await startProxy({
      database: 'gw_model_groups',
      apiKey: MASTER,
      yaml: (upstream) => `
model_list:
  - model_name: chat
    litellm_params: { model: openai/gpt-4o, api_base: ${upstream}/v1, api_key: sk-up, rpm: 100, tpm: 1000 }
    model_info: { id: chat-openai, input_cost_per_token: 0.001, output_cost_per_token: 0.002, mode: chat, max_output_tokens: 500 }
  - model_name: chat
    litellm_params:
      model: azure/dep-1
      api_base: ${upstream}
      api_key: ${SECRET}
      api_version: "2024-10-21"
      rpm: 50
      tpm: 2000
    model_info: { id: chat-azure, input_cost_per_token: 0.003, output_cost_per_token: 0.001 }
  - model_name: emb
    litellm_params: { model: openai/text-embedding-3-small, api_base: ${upstream}/v1, api_key: sk-up }
    model_info: { id: emb-1, input_cost_per_token: 0.0001, output_cost_per_token: 0, mode: embedding }
router_settings:
  model_group_alias: { fast: chat }
general_settings:
  master_key: ${MASTER}
`,
    });
  });
  after(() => setup?.close());

  const chat = {
    model_group: 'chat',
    providers: ['openai', 'azure'],
    max_input_tokens: null,
    max_output_tokens: 500,
    input_cost_per_token: 0.003,
    output_cost_per_token: 0.002,
    mode: 'chat',
    tpm: 3000,
    rpm: 150,
    supports_parallel_function_calling: false,
    supports_vision: false,
    supports_function_calling: false,
    supported_openai_params: [],
  };
  const emb = {
    ...chat,
    model_group: 'emb',
    providers: ['openai'],
    max_output_tokens: null,
    input_cost_per_token: 0.0001,
    output_cost_per_token: 0,
    mode: 'embedding',
    tpm: null,
    rpm: null,
  };

  it('sums up each group: providers once, highest price and output limit, tpm and rpm added, configured mode', async () => {
    const all = await api().ok('GET', '/model_group/info');
    assert.deepEqual(all, { data: [chat, emb, { ...chat, model_group: 'fast' }] }, 'an alias sums up its group');
    assert.deepEqual(await api().ok('GET', '/model_group/info?model_group=emb'), { data: [emb] });
    assert.deepEqual(await api().ok('GET', '/model_group/info?model_group=nope'), { data: [] });
  });

  it('pages the deployments of /model/info, filtered by model, modelId and search', async () => {
    const info = (await api().ok('GET', '/model/info')).data;
    assert.equal(info.length, 5, 'two of chat, one of emb, two of the alias');
    const first = await api().ok('GET', '/v2/model/info?page=1&size=2&user_models_only=true');
    assert.deepEqual(first, { data: info.slice(0, 2), total_count: 5, current_page: 1, total_pages: 3, size: 2 });
    const last = await api().ok('GET', '/v2/model/info?page=3&size=2');
    assert.deepEqual(last.data, info.slice(4));
    const whole = await api().ok('GET', '/v2/model/info');
    assert.deepEqual(
      { ...whole, data: whole.data.length },
      { data: 5, total_count: 5, current_page: 1, total_pages: 1, size: 50 },
    );
    assert.ok(!JSON.stringify(whole).includes(SECRET), 'no upstream secret');
    const azure = await api().ok('GET', '/v2/model/info?model=chat&modelId=chat-azure');
    assert.deepEqual(azure.data, [info[1]]);
    assert.equal(azure.data[0].litellm_params.model, 'azure/dep-1');
    const found = await api().ok('GET', '/v2/model/info?search=EM');
    assert.deepEqual(
      found.data.map((e: any) => e.model_info.id),
      ['emb-1'],
    );
    const none = await api().ok('GET', '/v2/model/info?page=9');
    assert.deepEqual(none, { data: [], total_count: 5, current_page: 9, total_pages: 1, size: 50 });
    const bad = await api().api('GET', '/v2/model/info?size=0');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.param, 'size');
  });

  it('answers a key only the groups it may use', async () => {
    const { key } = await generateKey(setup.gw.url, MASTER, { models: ['emb'] });
    assert.deepEqual(await api().ok('GET', '/model_group/info', undefined, key), { data: [emb] });
    assert.deepEqual(await api().ok('GET', '/model_group/info?model_group=chat', undefined, key), { data: [] });
    const page = await api().ok('GET', '/v2/model/info', undefined, key);
    assert.deepEqual([page.total_count, page.data.map((e: any) => e.model_info.id)], [1, ['emb-1']]);
  });
});
