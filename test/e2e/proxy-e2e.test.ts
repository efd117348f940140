import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { spawnGateway, writeConfig, type SpawnedGateway } from '../support/gateway';
import { chatChunks, startUpstream, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-test-master-key-e2e-proxy-1234';
const UPSTREAM_KEY = 'sk-upstream-e2e-secret-abcd';

describe('proxy end to end: the production build as a process', () => {
  let up: FakeUpstream;
  let gw: SpawnedGateway;
  let client: OpenAI;

  before(async () => {
    up = await startUpstream();
    const file = writeConfig(`
model_list:
  - model_name: gpt-e2e
    litellm_params:
      model: openai/gpt-upstream
      api_base: ${up.url}/v1
      api_key: os.environ/E2E_UPSTREAM_KEY
general_settings:
  master_key: os.environ/E2E_MASTER
`);
    gw = await spawnGateway(['--config', file], { E2E_UPSTREAM_KEY: UPSTREAM_KEY, E2E_MASTER: MASTER });
    client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await gw?.stop('SIGKILL');
    await up?.close();
  });

  it('serves chat, streaming and embeddings through the official client', async () => {
    const res = await client.chat.completions.create({ model: 'gpt-e2e', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.choices[0].message.content, 'Hello from upstream');
    const stream = await client.chat.completions.create({
      model: 'gpt-e2e',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'Hello from upstream');
    const emb = await client.embeddings.create({ model: 'gpt-e2e', input: 'x' });
    assert.equal(emb.data.length, 1);
    for (const r of up.requests) {
      assert.equal(r.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
      assert.equal(r.body.model, 'gpt-upstream');
    }
  });

  it('refuses a call without a credential, before any upstream call', async () => {
    const sent = up.requests.length;
    const anonymous = new OpenAI({ apiKey: 'not-a-key', baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await assert.rejects(
      anonymous.chat.completions.create({ model: 'gpt-e2e', messages: [{ role: 'user', content: 'hi' }] }),
      (e: unknown) => e instanceof OpenAI.AuthenticationError,
    );
    assert.equal(up.requests.length, sent);
  });

  it('lets a stream in flight finish on SIGTERM, then exits 0; no secret in its output', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const chunks = chatChunks(['one', ' two', ' three']);
    up.respondWith({ sse: [chunks[0], chunks[1], () => gate, ...chunks.slice(2)], delayMs: 50 });
    const stream = await client.chat.completions.create({
      model: 'gpt-e2e',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    let exited: Promise<number | null> | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (!exited && text === 'one') {
        exited = gw.stop('SIGTERM');
        setTimeout(release, 300);
      }
    }
    assert.equal(text, 'one two three');
    assert.equal(await exited, 0);
    const out = gw.output();
    assert.ok(!out.includes(UPSTREAM_KEY) && !out.includes(MASTER), 'a secret reached the logs');
  });
});
