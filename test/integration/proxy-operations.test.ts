import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI, { AzureOpenAI, toFile } from 'openai';
import { readJson, type InProcessGateway } from '../support/gateway';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import { apiUpstream, speechBytes, type ApiUpstream } from '../support/openai-apis';
import { recordAccounting, type AccountingRecord } from '../support/proxy-accounting';
import { type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-test-master-key-operations-1';
const KEY = 'sk-upstream-ops-secret-00000001';
const AZURE_KEY = 'azure-upstream-secret-ops-2';

describe('proxy: completions, moderations, images, audio (openai client and AzureOpenAI), and the Azure client paths', () => {
  let api: ApiUpstream;
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let acct: AccountingRecord;
  let client: OpenAI;
  let setup: ProxySetup | undefined;

  before(async () => {
    api = apiUpstream('ops');
    setup = await startProxy({
      apiKey: MASTER,
      respond: api.responder,
      yaml: (upstream) => `
model_list:
  - { model_name: text-model, litellm_params: { model: openai/gpt-3.5-turbo-instruct, api_base: "${upstream}/v1", api_key: ${KEY} } }
  - { model_name: mod-model, litellm_params: { model: openai/omni-moderation-latest, api_base: "${upstream}/v1", api_key: ${KEY} } }
  - { model_name: omni-moderation-latest, litellm_params: { model: openai/omni-moderation-2024-09-26, api_base: "${upstream}/v1", api_key: ${KEY} } }
  - { model_name: image-model, litellm_params: { model: openai/gpt-image-1, api_base: "${upstream}/v1", api_key: ${KEY} } }
  - { model_name: tts, litellm_params: { model: openai/gpt-4o-mini-tts, api_base: "${upstream}/v1", api_key: ${KEY} } }
  - { model_name: stt, litellm_params: { model: openai/gpt-4o-transcribe, api_base: "${upstream}/v1", api_key: ${KEY} } }
  - { model_name: az-chat, litellm_params: { model: azure/chat-dep, api_base: "${upstream}", api_key: ${AZURE_KEY}, api_version: "2024-10-21" } }
  - { model_name: az-embed, litellm_params: { model: azure/embed-dep, api_base: "${upstream}", api_key: ${AZURE_KEY}, api_version: "2024-10-21" } }
  - { model_name: az-image, litellm_params: { model: azure/dalle-dep, api_base: "${upstream}", api_key: ${AZURE_KEY}, api_version: "2024-10-21" } }
  - { model_name: az-tts, litellm_params: { model: azure/tts-dep, api_base: "${upstream}", api_key: ${AZURE_KEY}, api_version: "2024-10-21" } }
  - { model_name: az-whisper, litellm_params: { model: azure/whisper-dep, api_base: "${upstream}", api_key: ${AZURE_KEY}, api_version: "2024-10-21" } }
  - { model_name: az-text, litellm_params: { model: azure/instruct-dep, api_base: "${upstream}", api_key: ${AZURE_KEY}, api_version: "2024-10-21" } }
general_settings:
  master_key: ${MASTER}
`,
    });
    ({ up, gw, client } = setup);
    acct = recordAccounting(gw);
  });
  after(async () => {
    acct?.restore();
    await setup?.close();
  });
  beforeEach(() => {
    up.reset();
    api.uploads.length = 0;
    acct.reports.length = 0;
  });

  const azure = (deployment?: string) =>
    new AzureOpenAI({ endpoint: gw.url, apiKey: MASTER, apiVersion: '2024-10-21', deployment, maxRetries: 0 });

  it('completions: JSON and streamed (usage asked for and billed, hidden from a client that did not ask)', async () => {
    const res = await client.completions.create({ model: 'text-model', prompt: 'Hello' });
    assert.equal(res.choices[0].text, ' there friend');
    assert.equal(up.requests[0].url, '/v1/completions');
    assert.equal(up.requests[0].body.model, 'gpt-3.5-turbo-instruct');
    assert.equal(up.requests[0].headers.authorization, `Bearer ${KEY}`);
    const stream = await client.completions.create({ model: 'text-model', prompt: 'Hello', stream: true });
    let text = '';
    const chunks: OpenAI.Completions.Completion[] = [];
    for await (const c of stream) {
      chunks.push(c);
      text += c.choices[0]?.text ?? '';
    }
    assert.equal(text, ' there friend');
    assert.deepEqual(up.requests[1].body.stream_options, { include_usage: true });
    assert.equal(
      chunks.some((c) => c.usage),
      false,
      'the usage chunk the gateway asked for is not passed on',
    );
    assert.deepEqual(
      acct.reports.map((r) => [r!.modelGroup, r!.promptTokens, r!.completionTokens]),
      [
        ['text-model', 5, 3],
        ['text-model', 5, 3],
      ],
    );
  });

  it('moderations and image generation (image tokens billed)', async () => {
    const mod = await client.moderations.create({ model: 'mod-model', input: 'is this fine?' });
    assert.equal(mod.results[0].flagged, false);
    assert.equal(up.requests[0].url, '/v1/moderations');
    assert.equal(up.requests[0].body.model, 'omni-moderation-latest');
    const img = await client.images.generate({ model: 'image-model', prompt: 'a red square' });
    assert.equal(img.data?.[0].revised_prompt, 'a red square');
    assert.equal(up.requests[1].url, '/v1/images/generations');
    assert.equal(up.requests[1].body.model, 'gpt-image-1');
    assert.deepEqual([acct.reports[1]!.promptTokens, acct.reports[1]!.completionTokens], [50, 4160]);
  });

  it("a moderation naming no model (the openai client's default) goes to the group named as OpenAI's default model", async () => {
    const mod = await client.moderations.create({ input: 'is this fine?' });
    assert.equal(mod.results[0].flagged, false);
    assert.equal(up.requests[0].url, '/v1/moderations');
    assert.equal(up.requests[0].body.model, 'omni-moderation-2024-09-26');
    assert.equal(acct.reports[0]!.modelGroup, 'omni-moderation-latest');
  });

  it('a body without the field an operation needs is a 400 naming it, not sent upstream', async () => {
    for (const [path, body, param] of [
      ['/v1/completions', { model: 'text-model' }, 'prompt'],
      ['/v1/moderations', { model: 'mod-model' }, 'input'],
      ['/v1/images/generations', { model: 'image-model', prompt: 3 }, 'prompt'],
      ['/v1/audio/speech', { model: 'tts', voice: 'alloy' }, 'input'],
      ['/v1/responses', { input: 'x' }, 'model'],
    ] as const) {
      const r = await fetch(`${gw.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(r.status, 400, path);
      assert.equal((await readJson(r)).error.param, param, path);
    }
    assert.equal(up.requests.length, 0);
  });

  it('speech: the audio answer is streamed through byte for byte with its content type', async () => {
    const res = await client.audio.speech.create({ model: 'tts', input: 'Hello there', voice: 'alloy' });
    assert.equal(res.headers.get('content-type'), 'audio/mpeg');
    const audio = Buffer.from(await res.arrayBuffer());
    assert.ok(audio.equals(speechBytes()));
    assert.equal(up.requests[0].url, '/v1/audio/speech');
    assert.equal(up.requests[0].body.model, 'gpt-4o-mini-tts');
    assert.equal(acct.reports.length, 1);
    assert.equal(acct.reports[0]!.ok, true);
  });

  it('transcriptions and translations: the upload reaches the upstream whole, its model field set to the upstream name', async () => {
    const audio = Buffer.alloc(700_000, 3);
    const res = await client.audio.transcriptions.create({
      file: await toFile(audio, 'speech.mp3', { type: 'audio/mpeg' }),
      model: 'stt',
      language: 'en',
    });
    assert.equal(res.text, `heard ${audio.length} bytes`);
    assert.deepEqual(api.uploads[0], {
      model: 'gpt-4o-transcribe',
      fileBytes: audio.length,
      fields: { model: 'gpt-4o-transcribe', language: 'en' },
    });
    assert.equal(up.requests[0].url, '/v1/audio/transcriptions');
    assert.equal(up.requests[0].bytes.subarray(up.requests[0].bytes.indexOf('\r\n\r\n') + 4).includes(audio), true);
    assert.deepEqual([acct.reports[0]!.promptTokens, acct.reports[0]!.completionTokens], [14, 4]);
    const text = await client.audio.translations.create({
      model: 'stt',
      file: await toFile(Buffer.from('tiny'), 'a.wav'),
      response_format: 'text',
    });
    assert.equal((text as unknown as string).trim(), 'heard 4 bytes');
    assert.equal(up.requests[1].url, '/v1/audio/translations');
  });

  it('an upload without a model field, or not multipart, is a 400; one over the body limit a 413', async () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.alloc(10)]), 'a.mp3');
    const noModel = await fetch(`${gw.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}` },
      body: form,
    });
    assert.equal(noModel.status, 400);
    assert.equal((await readJson(noModel)).error.param, 'model');
    const json = await fetch(`${gw.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'stt' }),
    });
    assert.equal(json.status, 400);
    assert.equal((await readJson(json)).error.code, 'invalid_multipart');
    const big = new FormData();
    big.append('model', 'stt');
    big.append('file', new Blob([Buffer.alloc(gw.config.server.bodyLimitBytes + 1)]), 'big.mp3');
    const tooBig = await fetch(`${gw.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}` },
      body: big,
    });
    assert.equal(tooBig.status, 413);
    assert.equal((await readJson(tooBig)).error.code, 'request_too_large');
    assert.equal(up.requests.length, 0);
  });

  it('AzureOpenAI: completions, images, speech and transcriptions in the deployment form', async () => {
    const text = await azure('az-text').completions.create({ model: 'x', prompt: 'Hi' });
    assert.equal(text.choices[0].text, ' there friend');
    assert.equal(up.requests[0].url, '/openai/deployments/instruct-dep/completions?api-version=2024-10-21');
    assert.equal(up.requests[0].headers['api-key'], AZURE_KEY);
    await azure('az-image').images.generate({ model: 'x', prompt: 'a cat' });
    assert.equal(up.requests[1].url, '/openai/deployments/dalle-dep/images/generations?api-version=2024-10-21');
    const speech = await azure('az-tts').audio.speech.create({ model: 'x', input: 'hi', voice: 'alloy' });
    assert.ok(Buffer.from(await speech.arrayBuffer()).equals(speechBytes()));
    assert.equal(up.requests[2].url, '/openai/deployments/tts-dep/audio/speech?api-version=2024-10-21');
    const heard = await azure('az-whisper').audio.transcriptions.create({
      model: 'x',
      file: await toFile(Buffer.alloc(1000, 1), 'a.wav'),
    });
    assert.equal(heard.text, 'heard 1000 bytes');
    assert.equal(up.requests[3].url, '/openai/deployments/whisper-dep/audio/transcriptions?api-version=2024-10-21');
    assert.equal(api.uploads[0].model, 'whisper-dep');
  });

  it("AzureOpenAI's models.list (GET /openai/models), and chat and embeddings with the model in the body at /openai/... and /openai/v1/...", async () => {
    const models = await azure().models.list();
    assert.ok(models.data.some((m) => m.id === 'az-chat'));
    for (const base of [`${gw.url}/openai`, `${gw.url}/openai/v1`]) {
      up.reset();
      const c = new OpenAI({ apiKey: MASTER, baseURL: base, maxRetries: 0 });
      const chat = await c.chat.completions.create({ model: 'az-chat', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(chat.choices[0].message.content, 'Hello from upstream');
      assert.equal(up.requests[0].url, '/openai/deployments/chat-dep/chat/completions?api-version=2024-10-21');
      const emb = await c.embeddings.create({ model: 'az-embed', input: ['a', 'b'] });
      assert.equal(emb.data.length, 2);
      assert.equal(up.requests[1].url, '/openai/deployments/embed-dep/embeddings?api-version=2024-10-21');
      const listed = await c.models.list();
      assert.ok(listed.data.some((m) => m.id === 'az-embed'));
    }
  });
});
