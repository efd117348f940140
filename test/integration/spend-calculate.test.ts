import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { libraryPrice } from '../../src/pricing/price-library';
import { assertError, managementApi } from '../support/management-api';
import { oneModelYaml, startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-key-spend-calculate-01';
const IN = 0.001;
const OUT = 0.002;

/** LiteLLM's `/spend/calculate`: the cost of a call before it is made (model + messages) or after (its answer). */
describe('POST /spend/calculate', () => {
  let setup: ProxyOnDatabase;
  const { api, ok } = managementApi(() => setup.gw.url, MASTER);
  const close = (actual: number, expected: number) =>
    assert.ok(Math.abs(actual - expected) < 1e-12, `cost ${actual}, expected ${expected}`);

  before(async () => {
    setup = await startProxy({
      database: 'gw_spend_calculate',
      apiKey: MASTER,
      yaml: (upstream) => oneModelYaml(MASTER, upstream, { input_cost_per_token: IN, output_cost_per_token: OUT }),
    });
  });
  after(async () => {
    await setup?.close();
  });

  it("after a call: the answer's usage at the prices of the model group it names", async () => {
    const r = await ok('POST', '/spend/calculate', {
      completion_response: {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
      },
    });
    assert.deepEqual(Object.keys(r), ['cost']);
    assert.equal(typeof r.cost, 'number');
    close(r.cost, 100 * IN + 50 * OUT);
    // The Responses API's counters are read too.
    const responses = await ok('POST', '/spend/calculate', {
      completion_response: { model: 'm', usage: { input_tokens: 10, output_tokens: 20 } },
    });
    close(responses.cost, 10 * IN + 20 * OUT);
  });

  it('after a call: a model outside the config at the bundled price library', async () => {
    const price = libraryPrice('openai', 'gpt-4o');
    assert.ok(price && price.input > 0, 'the library knows gpt-4o');
    const r = await ok('POST', '/spend/calculate', {
      completion_response: { model: 'gpt-4o', usage: { prompt_tokens: 1000, completion_tokens: 500 } },
    });
    close(r.cost, 1000 * price.input + 500 * price.output);
  });

  it("before a call: the messages' prompt, estimated as the gateway's budget reservation counts it", async () => {
    const messages = [{ role: 'user', content: "Hey, how's it going? ünïcode" }];
    const tokens = Math.ceil(Buffer.byteLength(JSON.stringify(messages)) / 4);
    const r = await ok('POST', '/spend/calculate', { model: 'm', messages });
    assert.deepEqual(Object.keys(r), ['cost']);
    close(r.cost, tokens * IN);
    // model wins over completion_response, as in LiteLLM.
    const both = await ok('POST', '/spend/calculate', {
      model: 'm',
      messages,
      completion_response: { model: 'm', usage: { prompt_tokens: 1, completion_tokens: 1 } },
    });
    close(both.cost, tokens * IN);
  });

  it("an unknown model is LiteLLM's not-mapped error, in the OpenAI shape", async () => {
    const before = await api('POST', '/spend/calculate', {
      model: 'no-such-model-xyz',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assertError(before, 404, {
      code: 'model_not_found',
      param: 'model',
      message: /^This model isn't mapped yet\. model=no-such-model-xyz, custom_llm_provider=openai\./,
    });
    assert.equal(before.body.error.type, 'not_found_error');
    const after = await api('POST', '/spend/calculate', {
      completion_response: { model: 'azure/no-such-model-xyz', usage: { prompt_tokens: 1, completion_tokens: 1 } },
    });
    assertError(after, 404, { message: /model=azure\/no-such-model-xyz, custom_llm_provider=azure\./ });
  });

  it('a bad body is a 400 in the OpenAI error shape', async () => {
    const usage = { prompt_tokens: 1, completion_tokens: 1 };
    assertError(await api('POST', '/spend/calculate', {}), 400, {
      message: /Either 'model' or 'completion_response' must be provided/,
    });
    assertError(await api('POST', '/spend/calculate', { model: 'm' }), 400, { param: 'messages' });
    assertError(await api('POST', '/spend/calculate', { model: 5, messages: [] }), 400, { param: 'model' });
    assertError(await api('POST', '/spend/calculate', { model: 'm', messages: 'hi' }), 400, { param: 'messages' });
    assertError(await api('POST', '/spend/calculate', { completion_response: 'x' }), 400, {
      param: 'completion_response',
    });
    assertError(await api('POST', '/spend/calculate', { completion_response: { usage } }), 400, {
      param: 'completion_response.model',
    });
    assertError(await api('POST', '/spend/calculate', { completion_response: { model: 'm' } }), 400, {
      param: 'completion_response.usage',
    });
    const negative = { model: 'm', usage: { prompt_tokens: -5, completion_tokens: 1 } };
    assertError(await api('POST', '/spend/calculate', { completion_response: negative }), 400, {
      param: 'completion_response.usage',
    });
    assertError(await api('POST', '/spend/calculate', { model: 'm', messages: [], prompt: 'x' }), 400, {
      code: 'unknown_field',
      param: 'prompt',
    });
    assertError(await api('POST', '/spend/calculate', ['m']), 400, { message: /JSON object/ });
  });

  it('is a spend tracking route: an internal user may call it, a plain virtual key may not', async () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    const user = await ok('POST', '/user/new', { user_id: 'calc-internal', user_role: 'internal_user' });
    assert.equal(typeof (await ok('POST', '/spend/calculate', body, user.key)).cost, 'number');
    const { key } = await ok('POST', '/key/generate', {});
    assertError(await api('POST', '/spend/calculate', body, key), 403, { code: 'route_not_allowed' });
  });
});
