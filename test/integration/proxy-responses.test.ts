import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createAzure } from '@ai-sdk/azure';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import OpenAI, { AzureOpenAI, NotFoundError } from 'openai';
import { GatewayError } from '../../src/common/errors/gateway-error';
import { decodeResponseId } from '../../src/proxy/responses/response-id';
import { readJson, startGateway, type InProcessGateway } from '../support/gateway';
import { apiUpstream, RESPONSE_USAGE, type ApiUpstream } from '../support/openai-apis';
import { recordAccounting, type AccountingRecord } from '../support/proxy-accounting';
import { startUpstream, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-test-master-key-responses-1';
const KEY_A = 'sk-upstream-a-secret-000000001';
const KEY_B = 'sk-upstream-b-secret-000000002';
const AZURE_KEY = 'azure-upstream-secret-responses-3';
const IN = 0.000002;
const OUT = 0.000008;

describe('proxy: the Responses API (openai client, AzureOpenAI, AI SDK openai() and azure())', () => {
  const apis: Record<string, ApiUpstream> = {};
  const ups: Record<string, FakeUpstream> = {};
  let gw: InProcessGateway;
  let acct: AccountingRecord;
  let client: OpenAI;

  before(async () => {
    for (const name of ['a', 'b', 'azure']) {
      apis[name] = apiUpstream(name);
      ups[name] = await startUpstream(apis[name].responder);
    }
    gw = await startGateway(`
model_list:
  - model_name: gpt-resp
    litellm_params: { model: openai/gpt-4.1, api_base: "${ups.a.url}/v1", api_key: ${KEY_A} }
    model_info: { id: dep-a, input_cost_per_token: ${IN}, output_cost_per_token: ${OUT} }
  - model_name: gpt-resp
    litellm_params: { model: openai/gpt-4.1, api_base: "${ups.b.url}/v1", api_key: ${KEY_B} }
    model_info: { id: dep-b, input_cost_per_token: ${IN}, output_cost_per_token: ${OUT} }
  - model_name: azure-resp
    litellm_params: { model: azure/gpt4o-dep, api_base: "${ups.azure.url}", api_key: ${AZURE_KEY}, api_version: preview }
  - model_name: azure-dated
    litellm_params: { model: azure/gpt4o-old, api_base: "${ups.azure.url}", api_key: ${AZURE_KEY}, api_version: 2025-03-01-preview }
general_settings:
  master_key: ${MASTER}
`);
    acct = recordAccounting(gw);
    client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    acct?.restore();
    await gw?.close();
    for (const up of Object.values(ups)) await up.close();
  });
  beforeEach(() => {
    for (const up of Object.values(ups)) up.reset();
    acct.reports.length = 0;
    acct.admits.length = 0;
  });

  const requests = () => [...ups.a.requests, ...ups.b.requests];
  /** The upstream that holds `id` (the client's form) and its own id for it. */
  function holder(id: string): { name: 'a' | 'b'; upstreamId: string } {
    const ref = decodeResponseId(id);
    assert.ok(ref, `not a gateway response id: ${id}`);
    const name = ref.deploymentId === 'dep-a' ? 'a' : 'b';
    assert.ok(apis[name].stored.has(ref.upstreamId), `${ref.upstreamId} is not held by upstream ${name}`);
    return { name, upstreamId: ref.upstreamId };
  }

  it('creates a response (JSON): the upstream is called at {api_base}/responses, the id names its deployment, usage is billed', async () => {
    const res = await client.responses.create({ model: 'gpt-resp', input: 'Say hello' });
    const { name, upstreamId } = holder(res.id);
    assert.equal(res.output_text, `Hello from ${name} (turn 1)`);
    assert.deepEqual(res.usage && [res.usage.input_tokens, res.usage.output_tokens], [21, 9]);
    const seen = requests();
    assert.equal(seen.length, 1);
    assert.equal(seen[0].url, '/v1/responses');
    assert.equal(seen[0].body.model, 'gpt-4.1');
    assert.equal(seen[0].headers.authorization, `Bearer ${name === 'a' ? KEY_A : KEY_B}`);
    assert.doesNotMatch(JSON.stringify(res), new RegExp(upstreamId), 'the upstream id leaked to the client');
    const report = acct.reports[0]!;
    assert.equal(report.modelGroup, 'gpt-resp');
    assert.equal(report.deploymentId, `dep-${name}`);
    assert.deepEqual([report.promptTokens, report.completionTokens], [21, 9]);
    assert.ok(Math.abs(report.cost - (21 * IN + 9 * OUT)) < 1e-12);
  });

  it('streams the Responses events as they come (no [DONE]), ids in the client form, usage from response.completed', async () => {
    const stream = await client.responses.create({ model: 'gpt-resp', input: 'Say hello', stream: true });
    const types: string[] = [];
    let text = '';
    let createdId = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.created') createdId = event.response.id;
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    const { name } = holder(createdId);
    assert.equal(text, `Hello from ${name} (turn 1)`);
    assert.equal(completed?.id, createdId);
    assert.equal(types[0], 'response.created');
    assert.equal(types[types.length - 1], 'response.completed');
    assert.ok(types.filter((t) => t === 'response.output_text.delta').length >= 4);
    const report = acct.reports[0]!;
    assert.deepEqual([report.promptTokens, report.completionTokens], [RESPONSE_USAGE.input_tokens, 9]);

    // On the wire: the events as the upstream framed them, and nothing after response.completed.
    const raw = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-resp', input: 'x', stream: true }),
    });
    assert.match(raw.headers.get('content-type') ?? '', /^text\/event-stream/);
    const body = await raw.text();
    assert.match(body, /^event: response\.created\ndata: \{"type":"response\.created"/);
    assert.doesNotMatch(body, /\[DONE\]/);
    assert.ok(body.trimEnd().endsWith('}'), 'the stream ends with the completed event');
  });

  it('a follow-up with previous_response_id reaches the deployment that holds the earlier response, every time', async () => {
    for (let i = 0; i < 8; i++) {
      const first = await client.responses.create({ model: 'gpt-resp', input: `first ${i}` });
      const { name, upstreamId } = holder(first.id);
      ups.a.reset();
      ups.b.reset();
      const second = await client.responses.create({
        model: 'gpt-resp',
        input: 'and then?',
        previous_response_id: first.id,
      });
      assert.equal(second.output_text, `Hello from ${name} (turn 2)`);
      assert.equal(second.previous_response_id, first.id, 'previous_response_id in the client form');
      assert.equal(holder(second.id).name, name);
      const seen = requests();
      assert.equal(seen.length, 1);
      assert.equal(seen[0].body.previous_response_id, upstreamId, 'the upstream gets its own id');
      assert.equal(ups[name].requests.length, 1);
    }
  });

  it('a streamed follow-up is pinned too', async () => {
    const first = await client.responses.create({ model: 'gpt-resp', input: 'first' });
    const { name } = holder(first.id);
    const stream = await client.responses.create({
      model: 'gpt-resp',
      input: 'next',
      previous_response_id: first.id,
      stream: true,
    });
    let text = '';
    for await (const e of stream) if (e.type === 'response.output_text.delta') text += e.delta;
    assert.equal(text, `Hello from ${name} (turn 2)`);
  });

  it('retrieves, lists input items of, and deletes a stored response on the deployment that holds it', async () => {
    const made = await client.responses.create({ model: 'gpt-resp', input: 'remember me' });
    const { name, upstreamId } = holder(made.id);
    const got = await client.responses.retrieve(made.id);
    assert.equal(got.id, made.id);
    assert.equal(got.output_text, made.output_text);
    const items = await client.responses.inputItems.list(made.id, { order: 'asc' });
    assert.equal(items.data.length, 1);
    const item = items.data[0] as { type: string; content: { text: string }[] };
    assert.equal(item.content[0].text, 'remember me');
    const listed = ups[name].requests.find((r) => r.path.endsWith('/input_items'));
    assert.equal(listed?.url, `/v1/responses/${upstreamId}/input_items?order=asc`);
    assert.equal(listed?.headers.authorization, `Bearer ${name === 'a' ? KEY_A : KEY_B}`);
    const deleted = (await client.responses.delete(made.id)) as unknown;
    assert.deepEqual(deleted, { id: made.id, object: 'response', deleted: true });
    assert.equal(apis[name].stored.has(upstreamId), false);
    await assert.rejects(client.responses.retrieve(made.id), NotFoundError);
  });

  it('an id the gateway did not give out is a 404 in the OpenAI shape, never sent anywhere', async () => {
    for (const id of ['resp_abc123', 'resp_' + Buffer.from('gw1;dep-zzz;resp_1').toString('base64url')]) {
      const r = await fetch(`${gw.url}/v1/responses/${id}`, { headers: { authorization: `Bearer ${MASTER}` } });
      assert.equal(r.status, 404);
      const e = (await readJson(r)).error;
      assert.equal(e.code, 'response_not_found');
      assert.equal(e.type, 'not_found_error');
    }
    assert.equal(requests().length, 0);
  });

  it('a key limited to other models may not read a response of this group', async () => {
    const made = await client.responses.create({ model: 'gpt-resp', input: 'secret' });
    acct.admit = () => {
      throw new GatewayError(401, 'key_model_access_denied', 'no');
    };
    try {
      const r = await fetch(`${gw.url}/v1/responses/${made.id}`, { headers: { authorization: `Bearer ${MASTER}` } });
      assert.equal(r.status, 401);
      assert.equal(acct.admits[acct.admits.length - 1].modelGroup, 'gpt-resp');
    } finally {
      acct.admit = undefined;
    }
  });

  it('AzureOpenAI: responses.create goes to /openai/responses and on to Azure v1 responses with the deployment as model', async () => {
    const az = new AzureOpenAI({ endpoint: gw.url, apiKey: MASTER, apiVersion: 'preview', maxRetries: 0 });
    const res = await az.responses.create({ model: 'azure-resp', input: 'hi' });
    assert.equal(res.output_text, 'Hello from azure (turn 1)');
    const seen = ups.azure.requests[0];
    assert.equal(seen.url, '/openai/v1/responses?api-version=preview');
    assert.equal(seen.headers['api-key'], AZURE_KEY);
    assert.equal(seen.body.model, 'gpt4o-dep');
    const got = await az.responses.retrieve(res.id);
    assert.equal(got.id, res.id);
    assert.equal(ups.azure.requests[1].path, `/openai/v1/responses/${decodeResponseId(res.id)!.upstreamId}`);
    // A dated preview version: the older /openai/responses?api-version= path.
    await az.responses.create({ model: 'azure-dated', input: 'hi' });
    assert.equal(ups.azure.requests[2].url, '/openai/responses?api-version=2025-03-01-preview');
  });

  it('the Azure deployment form /openai/deployments/{d}/responses names the model group in the path', async () => {
    const r = await fetch(`${gw.url}/openai/deployments/azure-resp/responses?api-version=preview`, {
      method: 'POST',
      headers: { 'api-key': MASTER, 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'hi' }),
    });
    assert.equal(r.status, 200);
    assert.equal((await readJson(r)).output[0].content[0].text, 'Hello from azure (turn 1)');
  });

  it("the AI SDK's default openai(id) (Responses API): generateText and streamText", async () => {
    const openai = createOpenAI({ baseURL: `${gw.url}/v1`, apiKey: MASTER });
    const gen = await generateText({ model: openai('gpt-resp'), prompt: 'Say hello', maxRetries: 0 });
    assert.match(gen.text, /^Hello from [ab] \(turn 1\)$/);
    assert.equal(gen.usage.inputTokens, 21);
    assert.equal(gen.usage.outputTokens, 9);
    assert.ok(requests().every((r) => r.path === '/v1/responses'));
    const streamed = streamText({ model: openai('gpt-resp'), prompt: 'Say hello', maxRetries: 0 });
    let text = '';
    for await (const part of streamed.textStream) text += part;
    assert.match(text, /^Hello from [ab] \(turn 1\)$/);
    assert.equal((await streamed.usage).outputTokens, 9);
    assert.equal(requests().filter((r) => r.body.stream === true).length, 1, 'streamText sent stream: true');
  });

  it("the AI SDK's default azure(id) (Responses API at /openai/responses), its deployment-based URLs, and azure.chat()", async () => {
    const azure = createAzure({ baseURL: `${gw.url}/openai`, apiKey: MASTER });
    const gen = await generateText({ model: azure('azure-resp'), prompt: 'hi', maxRetries: 0 });
    assert.equal(gen.text, 'Hello from azure (turn 1)');
    const streamed = streamText({ model: azure('azure-resp'), prompt: 'hi', maxRetries: 0 });
    let text = '';
    for await (const part of streamed.textStream) text += part;
    assert.equal(text, 'Hello from azure (turn 1)');
    assert.equal((await streamed.usage).inputTokens, 21);
    const byDeployment = createAzure({ baseURL: `${gw.url}/openai`, apiKey: MASTER, useDeploymentBasedUrls: true });
    const dep = await generateText({ model: byDeployment('azure-resp'), prompt: 'hi', maxRetries: 0 });
    assert.equal(dep.text, 'Hello from azure (turn 1)');
    const chat = await generateText({ model: azure.chat('azure-resp'), prompt: 'hi', maxRetries: 0 });
    assert.equal(chat.text, 'Hello from upstream');
    // A deployment on Azure's v1 API (api_version preview) has its chat there too, the deployment as model.
    const chatSeen = ups.azure.requests[ups.azure.requests.length - 1];
    assert.equal(chatSeen.url, '/openai/v1/chat/completions?api-version=preview');
    assert.equal(chatSeen.body.model, 'gpt4o-dep');
  });
});
