import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { libraryPrice } from '../../src/pricing/price-library';
import { readJson, startGateway, type InProcessGateway } from '../support/gateway';
import type { TestDatabase } from '../support/postgres';
import { recordAccounting, type AccountingRecord } from '../support/proxy-accounting';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatCompletion, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-test-master-key-pricing-1234';
const USAGE = { prompt_tokens: 1000, completion_tokens: 500 };

describe('prices out of the box: the price library, base_model, model_info overrides, budgets that act', () => {
  let up: FakeUpstream;
  let db: TestDatabase;
  let gw: InProcessGateway;
  let setup: ProxyOnDatabase | undefined;
  let acct: AccountingRecord;
  const config = (base: string) => `
model_list:
  - model_name: azure-4o
    litellm_params: { model: azure/my-deployment, api_base: ${base}, api_key: az-key-pricing-1 }
    model_info: { id: az, base_model: gpt-4o }
  - model_name: azure-bare
    litellm_params: { model: azure/my-deployment, api_base: ${base}, api_key: az-key-pricing-1 }
    model_info: { id: bare }
  - model_name: mini
    litellm_params: { model: gpt-4o-mini, api_base: ${base} }
  - model_name: custom
    litellm_params: { model: openai/gpt-4o, api_base: ${base} }
    model_info: { input_cost_per_token: 0.001 }
  - model_name: "openai/*"
    litellm_params: { model: "openai/*", api_base: ${base} }
general_settings:
  master_key: ${MASTER}
`;

  before(async () => {
    setup = await startProxy({
      database: 'gw_pricing',
      apiKey: MASTER,
      respond: () => ({ json: chatCompletion('priced', USAGE) }),
      yaml: config,
    });
    ({ up, db, gw } = setup);
    acct = recordAccounting(gw);
  });
  after(async () => {
    acct?.restore();
    await setup?.close();
  });

  const call = (model: string, key = MASTER) =>
    new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 }).chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'hi' }],
    });
  const costOf = async (model: string) => {
    acct.reports.length = 0;
    await call(model);
    return acct.reports[0]!.cost;
  };
  const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

  it('the library knows the usual models; an Azure deployment name alone says nothing', () => {
    const p = libraryPrice('openai', 'gpt-4o')!;
    assert.ok(p.input > 0 && p.output > p.input, JSON.stringify(p));
    assert.deepEqual(libraryPrice('azure', 'azure/gpt-4o'), libraryPrice('azure', 'gpt-4o'));
    assert.equal(libraryPrice('azure', 'my-deployment'), undefined);
  });

  it('costs calls from the library: by base_model for Azure, by the model otherwise, per requested model for a wildcard', async () => {
    const gpt4o = libraryPrice('azure', 'gpt-4o')!;
    near(await costOf('azure-4o'), 1000 * gpt4o.input + 500 * gpt4o.output);
    assert.equal(await costOf('azure-bare'), 0);
    const mini = libraryPrice('openai', 'gpt-4o-mini')!;
    near(await costOf('mini'), 1000 * mini.input + 500 * mini.output);
    near(await costOf('openai/gpt-4o-mini'), 1000 * mini.input + 500 * mini.output);
    assert.equal(up.requests.at(-1)?.body?.model, 'gpt-4o-mini', 'the wildcard passed the model on');
  });

  it('model_info prices override the library, each on its own', async () => {
    const lib = libraryPrice('openai', 'gpt-4o')!;
    near(await costOf('custom'), 1000 * 0.001 + 500 * lib.output);
  });

  it("tells the call's cost and id in LiteLLM's answer headers, the cost as recorded", async () => {
    acct.reports.length = 0;
    const { response } = await setup!.client.chat.completions
      .create({ model: 'custom', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    const recorded = acct.reports[0]!.cost;
    assert.ok(recorded > 0);
    assert.equal(Number(response.headers.get('x-litellm-response-cost')), recorded);
    assert.equal(response.headers.get('x-litellm-call-id'), response.headers.get('x-request-id'));
    const streamed = await setup!.client.chat.completions
      .create({ model: 'custom', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    for await (const chunk of streamed.data) void chunk;
    assert.equal(streamed.response.headers.get('x-litellm-call-id'), streamed.response.headers.get('x-request-id'));
  });

  it('/model/info shows the prices in force', async () => {
    const res = await fetch(`${gw.url}/model/info`, { headers: { authorization: `Bearer ${MASTER}` } });
    const info = (await readJson(res)).data as { model_name: string; model_info: Record<string, unknown> }[];
    const az = info.find((e) => e.model_name === 'azure-4o')!;
    assert.equal(az.model_info.input_cost_per_token, libraryPrice('azure', 'gpt-4o')!.input);
    assert.equal(az.model_info.base_model, 'gpt-4o');
  });

  it('a tiny max_budget is reached without typing any price', async () => {
    acct.restore();
    const res = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ max_budget: 0.000001 }),
    });
    const { key } = (await readJson(res)) as { key: string };
    await call('mini', key);
    await assert.rejects(call('mini', key), (err: unknown) => {
      assert.ok(err instanceof OpenAI.BadRequestError, String(err));
      assert.equal(err.code, 'budget_exceeded');
      return true;
    });
  });

  it('at start, a deployment without a price is warned about while a key has a budget', async () => {
    const again = await startGateway(config(up.url), { DATABASE_URL: db.url });
    try {
      const warned = again.logs.lines.filter((l) => l.includes('has no price'));
      assert.equal(warned.length, 1, again.logs.text());
      assert.match(warned[0], /deployment bare \(model azure-bare\) has no price.*model_info\.base_model/);
    } finally {
      await again.close();
    }
    assert.equal(gw.logs.lines.filter((l) => l.includes('has no price')).length, 0, 'no budget yet at the first start');
  });
});
