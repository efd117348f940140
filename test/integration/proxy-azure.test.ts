import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AzureOpenAI } from 'openai';
import { readJson, type InProcessGateway } from '../support/gateway';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import { chatChunks, errorBody, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-test-master-key-azure-1234';
const AZURE_KEY = 'azure-upstream-secret-key-9876';
const AZURE_NEW_KEY = 'azure-upstream-secret-key-5555';

describe('proxy: AzureOpenAI client against the Azure form and azure/ deployments', () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;

  before(async () => {
    setup = await startProxy({
      apiKey: MASTER,
      yaml: (upstream) => `
model_list:
  - model_name: azure-gpt-3.5
    litellm_params:
      model: azure/my-gpt35-deployment
      api_base: ${upstream}/
      api_key: ${AZURE_KEY}
      api_version: "2023-07-01-preview"
  - model_name: azure-new
    litellm_params:
      model: azure/gpt-4o-dep
      api_base: ${upstream}
      api_key: ${AZURE_NEW_KEY}
      api_version: "2024-10-21"
  - model_name: azure-strict
    litellm_params:
      model: azure/gpt-4o-strict
      api_base: ${upstream}
      api_key: ${AZURE_NEW_KEY}
      api_version: "2024-10-21"
  - model_name: azure-embed
    litellm_params:
      model: azure/ada-dep
      api_base: ${upstream}
      api_key: ${AZURE_KEY}
      api_version: "2023-05-15"
  - model_name: azure-v1
    litellm_params:
      model: azure/gpt-5-dep
      api_base: ${upstream}
      api_key: ${AZURE_KEY}
      api_version: v1
  - model_name: azure-v1-base
    litellm_params:
      model: azure/gpt-5-base
      api_base: ${upstream}/openai/v1/
      api_key: ${AZURE_KEY}
  - model_name: azure-preview
    litellm_params:
      model: azure/gpt-5-preview
      api_base: ${upstream}
      api_key: ${AZURE_KEY}
      api_version: preview
general_settings:
  master_key: ${MASTER}
`,
    });
    ({ up, gw } = setup);
  });
  after(() => setup?.close());
  beforeEach(() => up.reset());

  const azure = (deployment: string) =>
    new AzureOpenAI({ endpoint: gw.url, apiKey: MASTER, apiVersion: '2024-10-21', deployment, maxRetries: 0 });

  function assertAzureCredentials(headers: Record<string, unknown>, key: string) {
    assert.equal(headers['api-key'], key);
    assert.equal(headers.authorization, undefined);
    assert.doesNotMatch(JSON.stringify(headers), new RegExp(MASTER));
  }

  it('forwards a chat call to {api_base}/openai/deployments/<deployment>/chat/completions?api-version=', async () => {
    const res = await azure('azure-gpt-3.5').chat.completions.create({
      model: 'ignored-by-azure-form',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    assert.equal(res.choices[0].message.content, 'Hello from upstream');
    assert.equal(up.requests.length, 1);
    const seen = up.requests[0];
    assert.equal(seen.path, '/openai/deployments/my-gpt35-deployment/chat/completions');
    assert.deepEqual(seen.query, { 'api-version': '2023-07-01-preview' });
    assertAzureCredentials(seen.headers, AZURE_KEY);
    assert.equal(seen.body.model, 'my-gpt35-deployment');
  });

  it("a deployment on Azure's v1 API (api_version v1 or preview, or a /openai/v1 api_base) is called at /openai/v1/<op>, the deployment as model", async () => {
    const cases: [string, string, string][] = [
      ['azure-v1', 'gpt-5-dep', ''],
      ['azure-v1-base', 'gpt-5-base', ''],
      ['azure-preview', 'gpt-5-preview', '?api-version=preview'],
    ];
    for (const [group, deployment, query] of cases) {
      up.reset();
      const client = azure(group);
      const chat = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Hi' }] });
      assert.equal(chat.choices[0].message.content, 'Hello from upstream');
      await client.embeddings.create({ model: 'x', input: 'Hi' });
      assert.deepEqual(
        up.requests.map((r) => [r.url, r.body.model]),
        [
          [`/openai/v1/chat/completions${query}`, deployment],
          [`/openai/v1/embeddings${query}`, deployment],
        ],
      );
      assertAzureCredentials(up.requests[0].headers, AZURE_KEY);
    }
  });

  it("AzureOpenAI with the v1 API's base URL (.../openai/v1/) puts /deployments/<model> under it: served as the Azure form", async () => {
    const v1 = new AzureOpenAI({
      baseURL: `${gw.url}/openai/v1/`,
      apiKey: MASTER,
      apiVersion: 'preview',
      maxRetries: 0,
    });
    const chat = await v1.chat.completions.create({ model: 'azure-new', messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(chat.choices[0].message.content, 'Hello from upstream');
    const embedded = await v1.embeddings.create({ model: 'azure-embed', input: ['a', 'b'] });
    assert.equal(embedded.data.length, 2);
    assert.deepEqual(
      up.requests.map((r) => r.url),
      [
        '/openai/deployments/gpt-4o-dep/chat/completions?api-version=2024-10-21',
        '/openai/deployments/ada-dep/embeddings?api-version=2023-05-15',
      ],
    );
    const limited = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ allowed_routes: ['/openai/deployments/azure-new/chat/completions'] }),
    });
    const key = (await readJson(limited)).key as string;
    const scoped = new AzureOpenAI({
      baseURL: `${gw.url}/openai/v1/`,
      apiKey: key,
      apiVersion: 'preview',
      maxRetries: 0,
    });
    await scoped.chat.completions.create({ model: 'azure-new', messages: [{ role: 'user', content: 'Hi' }] });
    await assert.rejects(
      scoped.chat.completions.create({ model: 'azure-gpt-3.5', messages: [{ role: 'user', content: 'Hi' }] }),
      (err: { status?: number }) => err.status === 403,
      'a route granted for one deployment stays that deployment only',
    );
  });

  it('serves the plain OpenAI routes from azure deployments too', async () => {
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'api-key': MASTER, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'azure-new', messages: [{ role: 'user', content: 'x' }], n: 1 }),
    });
    assert.equal(r.status, 200);
    const seen = up.requests[0];
    assert.equal(seen.url, '/openai/deployments/gpt-4o-dep/chat/completions?api-version=2024-10-21');
    assertAzureCredentials(seen.headers, AZURE_NEW_KEY);
    assert.equal(seen.body.n, 1);
  });

  it('streams through the Azure form; an old api-version is not sent stream_options', async () => {
    const stream = await azure('azure-gpt-3.5').chat.completions.create({
      model: 'x',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'Hello from upstream');
    assert.equal(up.requests[0].body.stream, true);
    assert.equal(up.requests[0].body.stream_options, undefined);
  });

  it('asks a recent api-version for stream usage, and drops it for good when the upstream refuses it', async () => {
    let refused = 0;
    up.respondWith((req) => {
      if (req.body?.stream_options) {
        refused++;
        return { json: errorBody('Unrecognized request argument supplied: stream_options'), status: 400 };
      }
      return { sse: chatChunks(['ok']) };
    });
    for (let i = 0; i < 2; i++) {
      const stream = await azure('azure-new').chat.completions.create({
        model: 'x',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      assert.equal(text, 'ok');
    }
    assert.equal(refused, 1, 'stream_options was sent again after the upstream refused it');
    assert.equal(up.requests.length, 3);
  });

  it("a client's own unsupported stream_options fails its call only: the deployment keeps asking for usage", async () => {
    // An upstream that knows include_usage but refuses any other stream_options key, naming it.
    up.respondWith((req) => {
      const unknown = Object.keys((req.body?.stream_options as object) ?? {}).filter((k) => k !== 'include_usage');
      if (unknown.length > 0)
        return { json: errorBody(`Unrecognized request argument supplied: stream_options.${unknown[0]}`), status: 400 };
      return { sse: chatChunks(['ok']) };
    });
    const client = azure('azure-strict');
    await assert.rejects(
      client.chat.completions.create({
        model: 'x',
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
        stream_options: { bogus: 1 } as never,
      }),
      (err: unknown) => err instanceof Error && 'status' in err && err.status === 400,
    );
    up.reset();
    const stream = await client.chat.completions.create({
      model: 'x',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    for await (const chunk of stream) void chunk;
    assert.deepEqual(
      up.requests.map((r) => r.body.stream_options),
      [{ include_usage: true }],
      "another caller's call still asks for usage",
    );
  });

  it('forwards embeddings in the Azure form', async () => {
    const res = await azure('azure-embed').embeddings.create({ model: 'x', input: 'hello' });
    assert.equal(res.data.length, 1);
    const seen = up.requests[0];
    assert.equal(seen.url, '/openai/deployments/ada-dep/embeddings?api-version=2023-05-15');
    assertAzureCredentials(seen.headers, AZURE_KEY);
    assert.equal(seen.body.input, 'hello');
  });

  it('passes an Azure 400 (content filter) back unchanged', async () => {
    const body = {
      error: {
        message: 'The response was filtered',
        type: null,
        param: 'prompt',
        code: 'content_filter',
        status: 400,
        innererror: { code: 'ResponsibleAIPolicyViolation' },
      },
    };
    up.respondWith({ json: body, status: 400 });
    const r = await fetch(`${gw.url}/openai/deployments/azure-gpt-3.5/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'api-key': MASTER, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'bad' }] }),
    });
    assert.equal(r.status, 400);
    assert.deepEqual(await readJson(r), body);
  });

  it('refuses odd deployment names in the path with a 400, and unknown ones with a 404', async () => {
    const post = (name: string) =>
      fetch(`${gw.url}/openai/deployments/${name}/chat/completions?api-version=2024-10-21`, {
        method: 'POST',
        headers: { 'api-key': MASTER, 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }),
      });
    for (const bad of ['..%2F..%2Fadmin', '%2E%2E', 'a%20b', 'x%00y', 'a%5Cb', '..']) {
      const r = await post(bad);
      assert.ok(r.status === 400 || r.status === 404, `${bad}: ${r.status}`);
      const e = (await readJson(r)).error;
      if (r.status === 400) assert.equal(e.param, 'model', bad);
    }
    const traversal = await post('..%2F..%2Fadmin');
    assert.equal(traversal.status, 400);
    const unknown = await post('no-such-group');
    assert.equal(unknown.status, 404);
    assert.equal((await readJson(unknown)).error.code, 'model_not_found');
    assert.equal(up.requests.length, 0);
  });
});
