import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { readJson, type InProcessGateway } from '../support/gateway';
import { sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatChunks, chatCompletion, embeddingList } from '../support/upstream';

const MASTER = 'sk-master-keys-openai-client';
const USAGE = { prompt_tokens: 100, completion_tokens: 50 };
const COST = 100 * 0.0001 + 50 * 0.0002; // 0.02 per chat call

describe('keys: the official openai client with a generated key', () => {
  let gw: InProcessGateway;
  let db: TestDatabase;
  let setup: ProxyOnDatabase | undefined;

  async function newKey(body: object): Promise<{ key: string; token: string }> {
    const res = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    return readJson(res);
  }
  const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  async function rejected(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof OpenAI.APIError, String(err));
      return err;
    }
    assert.fail('expected an API error');
  }
  const ask = (c: OpenAI, model = 'gpt-test') =>
    c.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

  before(async () => {
    const prices = 'model_info:\n      input_cost_per_token: 0.0001\n      output_cost_per_token: 0.0002';
    setup = await startProxy({
      database: 'gw_keys_openai',
      apiKey: MASTER,
      respond: (req) =>
        req.body?.stream
          ? { sse: chatChunks(['a', 'b'], USAGE) }
          : req.path.endsWith('/embeddings')
            ? { json: embeddingList(1) }
            : { json: chatCompletion('hello', USAGE) },
      yaml: (upstream) => `model_list:
  - model_name: gpt-test
    litellm_params:
      model: openai/gpt-upstream
      api_base: ${upstream}
    ${prices}
  - model_name: gpt-other
    litellm_params:
      model: openai/gpt-upstream-2
      api_base: ${upstream}
  - model_name: text-embed
    litellm_params:
      model: openai/embed-upstream
      api_base: ${upstream}
general_settings:
  master_key: ${MASTER}
`,
    });
    ({ gw, db } = setup);
  });
  after(() => setup?.close());

  it('chat, streaming and embeddings work with the key; spend is counted from usage and shows in /key/info', async () => {
    const k = await newKey({ models: ['gpt-test', 'text-embed'] });
    const c = client(k.key);
    const res = await ask(c);
    assert.equal(res.choices[0].message.content, 'hello');
    const stream = await c.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'ab');
    const emb = await c.embeddings.create({ model: 'text-embed', input: 'x' });
    assert.equal(emb.data.length, 1);
    const info = await readJson(await fetch(`${gw.url}/key/info`, { headers: { authorization: `Bearer ${k.key}` } }));
    assert.ok(Math.abs(info.info.spend - 2 * COST) < 1e-9, `spend ${info.info.spend}`);
    const deadline = Date.now() + 5_000;
    for (;;) {
      const [row] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [k.token]);
      if (Math.abs(row.spend - 2 * COST) < 1e-9) break;
      assert.ok(Date.now() < deadline, `database spend ${row.spend}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('models.list shows only the key models; another model is a 401 naming it', async () => {
    const k = await newKey({ models: ['gpt-test'] });
    const c = client(k.key);
    const listed = [];
    for await (const m of c.models.list()) listed.push(m.id);
    assert.deepEqual(listed, ['gpt-test']);
    const err = await rejected(ask(c, 'gpt-other'));
    assert.ok(err instanceof OpenAI.AuthenticationError);
    assert.match(err.message, /gpt-other/);
  });

  it('rpm_limit: the call over the limit is a RateLimitError with retry-after', async () => {
    const c = client((await newKey({ rpm_limit: 2 })).key);
    await ask(c);
    await ask(c);
    const err = await rejected(ask(c));
    assert.ok(err instanceof OpenAI.RateLimitError);
    assert.ok(Number(err.headers?.get('retry-after')) >= 1);
  });

  it('max_budget: once spend reaches it, calls are refused with budget_exceeded', async () => {
    const c = client((await newKey({ max_budget: 2 * COST })).key);
    await ask(c);
    await ask(c);
    const err = await rejected(ask(c));
    assert.ok(err instanceof OpenAI.BadRequestError);
    assert.equal(err.code, 'budget_exceeded');
  });

  it('a blocked key and a made-up key are AuthenticationErrors', async () => {
    const k = await newKey({});
    await ask(client(k.key));
    await fetch(`${gw.url}/key/block`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: k.key }),
    });
    assert.ok((await rejected(ask(client(k.key)))) instanceof OpenAI.AuthenticationError);
    assert.ok((await rejected(ask(client('sk-made-up-key-0000000000000')))) instanceof OpenAI.AuthenticationError);
  });
});
