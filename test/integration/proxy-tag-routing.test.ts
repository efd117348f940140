import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readJson } from '../support/gateway';
import { generateKey } from '../support/management-api';
import { startProxy, type ProxySetup } from '../support/proxy-setup';

const MASTER = 'sk-tag-routing-master-0001';

/** LiteLLM's tag-based routing: `litellm_params.tags` on deployments, `enable_tag_filtering`, tags on the call. */
describe('tag-based routing (router_settings.enable_tag_filtering)', () => {
  let setup: ProxySetup | undefined;
  const url = () => setup!.gw.url;

  before(async () => {
    setup = await startProxy({
      apiKey: MASTER,
      yaml: (up) => `
model_list:
  - model_name: gpt
    litellm_params: { model: openai/up-free, api_base: ${up}/v1, api_key: sk-up, tags: [free] }
    model_info: { id: free-1 }
  - model_name: gpt
    litellm_params: { model: openai/up-paid, api_base: ${up}/v1, api_key: sk-up, tags: [paid, fast] }
    model_info: { id: paid-1 }
  - model_name: gpt
    litellm_params: { model: openai/up-default, api_base: ${up}/v1, api_key: sk-up, tags: [default] }
    model_info: { id: default-1 }
  - model_name: strict
    litellm_params: { model: openai/up-a, api_base: ${up}/v1, api_key: sk-up, tags: [a] }
    model_info: { id: a-1 }
  - model_name: strict
    litellm_params: { model: openai/up-b, api_base: ${up}/v1, api_key: sk-up }
    model_info: { id: b-1 }
general_settings:
  master_key: ${MASTER}
router_settings:
  enable_tag_filtering: true
`,
    });
  });
  after(() => setup?.close());

  /** The deployments that answered `n` calls with this body (and key). */
  const served = async (body: object, key = MASTER, n = 6, headers: Record<string, string> = {}) => {
    const ids = new Set<string>();
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${url()}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], ...body }),
      });
      assert.equal(res.status, 200, JSON.stringify(await readJson(res.clone())));
      ids.add(res.headers.get('x-litellm-model-id')!);
    }
    return [...ids].sort();
  };

  it("sends a call to the deployments with one of its metadata.tags, else to the 'default' ones", async () => {
    assert.deepEqual(await served({ model: 'gpt', metadata: { tags: ['free'] } }), ['free-1']);
    assert.deepEqual(await served({ model: 'gpt', metadata: { tags: ['fast', 'other'] } }), ['paid-1']);
    assert.deepEqual(await served({ model: 'gpt', metadata: { tags: ['unknown'] } }), ['default-1']);
    assert.deepEqual(await served({ model: 'gpt' }), ['default-1'], 'no tags: the default deployments');
  });

  it("takes the tags of a top-level tags and of the x-litellm-tags header as well, as LiteLLM's router does", async () => {
    assert.deepEqual(await served({ model: 'gpt', tags: ['free'] }), ['free-1']);
    assert.deepEqual(await served({ model: 'gpt' }, MASTER, 6, { 'x-litellm-tags': 'unknown, fast' }), ['paid-1']);
  });

  it("uses the key's tags, and refuses tags no deployment serves when none is 'default'", async () => {
    const { key } = await generateKey(url(), MASTER, { tags: ['paid'] });
    assert.deepEqual(await served({ model: 'gpt' }, key), ['paid-1']);
    assert.deepEqual(await served({ model: 'strict', metadata: { tags: ['a'] } }), ['a-1']);
    assert.deepEqual(await served({ model: 'strict' }, MASTER, 12), ['a-1', 'b-1'], 'no tags, no default: any');
    const res = await fetch(`${url()}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'strict', messages: [{ role: 'user', content: 'x' }], metadata: { tags: ['z'] } }),
    });
    assert.equal(res.status, 400);
    assert.equal((await readJson(res)).error.code, 'no_deployments_with_tag');
  });
});
