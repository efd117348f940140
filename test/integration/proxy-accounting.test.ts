import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { Errors } from '../../src/common/errors/gateway-error';
import { readJson, type InProcessGateway } from '../support/gateway';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import { recordAccounting, type AccountingRecord } from '../support/proxy-accounting';
import { chatChunks, errorBody, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-test-master-key-acct-1234';
const IN = 0.000001;
const OUT = 0.000003;

describe('proxy accounting: admit before forwarding, one report after, with tokens and cost', () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let acct: AccountingRecord;
  let client: OpenAI;
  let setup: ProxySetup | undefined;

  before(async () => {
    setup = await startProxy({
      apiKey: MASTER,
      yaml: (upstream) => `
model_list:
  - model_name: priced
    litellm_params: { model: openai/priced-up, api_base: ${upstream}, api_key: sk-upstream-acct-key }
    model_info: { id: priced-1, input_cost_per_token: ${IN}, output_cost_per_token: ${OUT} }
  - model_name: other
    litellm_params: { model: openai/other-up, api_base: ${upstream}, api_key: sk-upstream-acct-key }
  - model_name: broken
    litellm_params: { model: openai/broken-up, api_base: ${upstream}, api_key: sk-upstream-acct-key }
general_settings:
  master_key: ${MASTER}
router_settings:
  num_retries: 0
  allowed_fails: 1000
`,
    });
    ({ up, gw } = setup);
    acct = recordAccounting(gw);
    client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    acct?.restore();
    await setup?.close();
  });
  beforeEach(() => {
    up.reset();
    acct.admits.length = 0;
    acct.reports.length = 0;
    acct.admit = undefined;
    acct.allowed = null;
  });

  const messages = [{ role: 'user' as const, content: 'hi' }];

  it('reports a JSON call once: usage tokens, cost from model_info prices, deployment, latency', async () => {
    await client.chat.completions.create({ model: 'priced', messages });
    assert.equal(acct.admits.length, 1);
    assert.equal(acct.admits[0].modelGroup, 'priced');
    assert.equal(acct.admits[0].caller?.role, 'master');
    assert.equal(acct.reports.length, 1);
    const r = acct.reports[0]!;
    assert.equal(r.ok, true);
    assert.equal(r.modelGroup, 'priced');
    assert.equal(r.deploymentId, 'priced-1');
    assert.equal(r.promptTokens, 11);
    assert.equal(r.completionTokens, 7);
    assert.ok(Math.abs(r.cost - (11 * IN + 7 * OUT)) < 1e-12);
    assert.ok(r.latencyMs > 0);
  });

  it('reports embeddings usage (prompt tokens only)', async () => {
    await client.embeddings.create({ model: 'priced', input: ['a', 'b', 'c'] });
    assert.equal(acct.reports.length, 1);
    assert.equal(acct.reports[0]!.promptTokens, 5);
    assert.equal(acct.reports[0]!.completionTokens, 0);
    assert.ok(Math.abs(acct.reports[0]!.cost - 5 * IN) < 1e-12);
  });

  it('reports a stream with the usage of its final chunk, hidden from the client that did not ask', async () => {
    up.respondWith({ sse: chatChunks(['a', 'b', 'c', 'd'], { prompt_tokens: 21, completion_tokens: 4 }) });
    const stream = await client.chat.completions.create({ model: 'priced', messages, stream: true });
    let sawUsage = false;
    for await (const chunk of stream) if (chunk.usage) sawUsage = true;
    assert.equal(sawUsage, false);
    await waitFor(() => acct.reports.length === 1);
    const r = acct.reports[0]!;
    assert.equal(r.ok, true);
    assert.equal(r.promptTokens, 21);
    assert.equal(r.completionTokens, 4);
    assert.ok(Math.abs(r.cost - (21 * IN + 4 * OUT)) < 1e-12);
  });

  it('estimates stream tokens when the upstream reports no usage, and reports a broken stream as failed', async () => {
    up.respondWith({ sse: chatChunks(['a', 'b', 'c']) }); // no usage chunk even though asked
    const r1 = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'priced', messages, stream: true }),
    });
    await r1.text();
    await waitFor(() => acct.reports.length === 1);
    assert.equal(acct.reports[0]!.completionTokens, 5, 'one token per streamed chunk');
    assert.ok(acct.reports[0]!.promptTokens > 0);

    up.respondWith({ sse: chatChunks(['a', 'b', 'c']), resetAfter: 2 });
    const r2 = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'priced', messages, stream: true }),
    });
    await r2.text();
    await waitFor(() => acct.reports.length === 2);
    assert.equal(acct.reports[1]!.ok, false);
  });

  it('reports null exactly once when no deployment served the call', async () => {
    up.respondWith({ json: errorBody('down', 'server_error'), status: 500 });
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'broken', messages }),
    });
    assert.equal(r.status, 502);
    assert.deepEqual(acct.reports, [null]);
    up.respondWith({ json: errorBody('bad', 'invalid_request_error'), status: 422 });
    const r2 = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'broken', messages }),
    });
    assert.equal(r2.status, 422);
    assert.deepEqual(acct.reports, [null, null]);
  });

  it('lets the accounting refuse (sync or async) before anything is forwarded', async () => {
    acct.admit = () => {
      throw Errors.rateLimited('Rate limit reached for this key', 7);
    };
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'priced', messages }),
    });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '7');
    assert.equal((await readJson(r)).error.type, 'rate_limit_error');
    acct.admit = async () => {
      throw Errors.budgetExceeded({ kind: 'key', name: 'sk-...abcd' }, 1, 1);
    };
    await assert.rejects(
      client.chat.completions.create({ model: 'priced', messages }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === 'budget_exceeded',
    );
    assert.equal(up.requests.length, 0);
    assert.equal(acct.reports.length, 0);
    acct.admit = async () => undefined;
    const ok = await client.chat.completions.create({ model: 'priced', messages });
    assert.equal(ok.object, 'chat.completion');
    assert.equal(acct.reports.length, 1);
  });

  it("shows only the caller's model groups in /models, /model/info and the unknown-model error", async () => {
    acct.allowed = ['other', 'not-configured'];
    const list = await readJson(await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${MASTER}` } }));
    assert.deepEqual(
      list.data.map((m: { id: string }) => m.id),
      ['other'],
    );
    const info = await readJson(
      await fetch(`${gw.url}/model/info`, { headers: { authorization: `Bearer ${MASTER}` } }),
    );
    assert.deepEqual(
      info.data.map((d: { model_name: string }) => d.model_name),
      ['other'],
    );
    const missing = await fetch(`${gw.url}/v1/models/priced`, { headers: { authorization: `Bearer ${MASTER}` } });
    assert.equal(missing.status, 404);
    await assert.rejects(client.chat.completions.create({ model: 'nope', messages }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.NotFoundError);
      assert.match(e.message, /available to you: other$/);
      return true;
    });
  });
});

async function waitFor(cond: () => boolean, ms = 2_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
