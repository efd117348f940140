import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startGateway, type InProcessGateway } from '../support/gateway';
import { chatCompletion, errorBody, startUpstream, type FakeUpstream } from '../support/upstream';
import { generateKey } from '../support/management-api';

const MASTER = 'sk-test-master-key-deployment-fallback';

/** A fallback naming a deployment id (`model_info.id`) rather than a model group calls that deployment alone. */
describe('proxy router: a fallback to a specific deployment id', () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;

  before(async () => {
    up = await startUpstream((req) =>
      req.body?.model === 'primary-up'
        ? { json: errorBody('primary down', 'server_error'), status: 500 }
        : { json: chatCompletion(`from ${String(req.body?.model)}`) },
    );
    const dep = (group: string, id: string, extra = '') => `
  - model_name: ${group}
    litellm_params: { model: openai/${id}-up, api_base: ${up.url}, api_key: sk-up-${id}-secret${extra} }
    model_info: { id: ${id} }`;
    gw = await startGateway(`
model_list:${dep('primary', 'primary')}${dep('reserve', 'reserve-a')}${dep('reserve', 'reserve-b', ', rpm: 1')}
general_settings:
  master_key: ${MASTER}
router_settings:
  num_retries: 1
  fallbacks: [{ primary: [reserve-b] }]
`);
  });
  after(async () => {
    await gw?.close();
    await up?.close();
  });

  const hits = (id: string) => up.requests.filter((r) => r.body?.model === `${id}-up`).length;
  const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const ask = (key: string) =>
    client(key)
      .chat.completions.create({ model: 'primary', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
  const generate = async (models: string[]) => (await generateKey(gw.url, MASTER, { models })).key;

  it('gives no warning at start', () => {
    assert.deepEqual(
      gw.config.warnings.filter((w) => w.includes('reserve-b')),
      [],
    );
  });

  it('calls the named deployment, not the rest of its group, when the first group fails, past its rpm', async () => {
    for (let i = 0; i < 6; i++) {
      const { data, response } = await ask(MASTER);
      assert.equal(response.headers.get('x-litellm-model-id'), 'reserve-b');
      assert.equal(data.choices[0].message.content, 'from reserve-b-up');
    }
    assert.ok(hits('primary') >= 1);
    assert.equal(hits('reserve-a'), 0, 'only the named deployment serves the fallback');
    assert.equal(hits('reserve-b'), 6);
  });

  it("is bounded by a virtual key's models, as a group fallback is (by the deployment's group)", async () => {
    const before = hits('reserve-b');
    const narrow = await ask(await generate(['primary'])).then(
      () => assert.fail('a key without the reserve group got an answer'),
      (e: unknown) => e,
    );
    assert.ok(narrow instanceof OpenAI.InternalServerError, `the primary's failure: ${String(narrow)}`);
    assert.equal(hits('reserve-b'), before, 'the named deployment is not called for a key without its group');
    const { response } = await ask(await generate(['primary', 'reserve']));
    assert.equal(response.headers.get('x-litellm-model-id'), 'reserve-b');
    assert.equal(hits('reserve-b'), before + 1);
  });
});
