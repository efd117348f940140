import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { anthropicAnswer } from '../support/anthropic';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import { chatCompletion, errorBody, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-master-proxy-long-bodies';
/** Long enough that the gateway lets go of its parsed value once the body is sent (client-json.ts). */
const PROMPT = 'é'.repeat(40_000);

/**
 * A long prompt is held as bytes while a call waits on its upstream: a later attempt still gets it whole, whether
 * written from those bytes (drop_params) or from the parsed values (a fallback to a provider with its own format).
 */
describe('proxy: long prompts across attempts', () => {
  let setup: ProxySetup;
  let up: FakeUpstream;

  before(async () => {
    setup = await startProxy({
      apiKey: MASTER,
      respond: (req) => {
        if (req.path === '/v1/messages') return anthropicAnswer(req);
        if (req.body?.model === 'gpt-down') return { status: 500, json: errorBody('down', 'server_error') };
        if (req.body?.temperature !== undefined)
          return { status: 400, json: errorBody("Unsupported parameter: 'temperature'", 'invalid_request_error') };
        return { json: chatCompletion('ok') };
      },
      yaml: (upstream) => `model_list:
  - model_name: picky
    litellm_params: { model: openai/gpt-picky, api_base: ${upstream}/v1, api_key: sk-up, drop_params: true }
  - model_name: down
    litellm_params: { model: openai/gpt-down, api_base: ${upstream}/v1, api_key: sk-up }
  - model_name: claude
    litellm_params: { model: anthropic/claude-3-5-sonnet-real, api_base: ${upstream}, api_key: sk-ant-up }
general_settings:
  master_key: ${MASTER}
router_settings:
  num_retries: 0
  fallbacks: [{ down: [claude] }]
`,
    });
    up = setup.up;
  });
  after(() => setup?.close());
  beforeEach(() => up.reset());

  const ask = (model: string, extra: Record<string, unknown> = {}) =>
    fetch(`${setup.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: PROMPT }], ...extra }),
    });

  it('drop_params: the attempt without the refused parameter sends the whole prompt', async () => {
    const res = await ask('picky', { temperature: 0.5, seed: 7 });
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();
    assert.equal(up.requests.length, 2);
    const [first, second] = up.requests.map((r) => r.body);
    assert.equal(first.temperature, 0.5);
    assert.deepEqual(Object.keys(second), ['model', 'messages', 'seed']);
    assert.equal(second.model, 'gpt-picky');
    assert.equal(second.seed, 7);
    assert.ok(second.messages[0].content === PROMPT, 'the prompt, whole');
  });

  it('a fallback to an anthropic/ deployment after an OpenAI-format attempt translates the whole prompt', async () => {
    const res = await ask('down', { max_tokens: 20 });
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();
    assert.deepEqual(
      up.requests.map((r) => r.path),
      ['/v1/chat/completions', '/v1/messages'],
    );
    assert.ok(up.requests[0].body.messages[0].content === PROMPT);
    const sent = up.requests[1].body;
    assert.equal(sent.model, 'claude-3-5-sonnet-real');
    assert.equal(sent.messages.length, 1);
    assert.ok(sent.messages[0].content[0].text === PROMPT, 'the prompt, whole, as a text block');
  });

  it("a long prompt with escapes goes upstream as the client's bytes, model aside; a broken one is refused as JSON", async () => {
    // Real escapes in the JSON text (quotes, newlines, tabs, backslashes) and characters beyond ASCII.
    const content = `${'line "one"\n\t'.repeat(6000)}é 😀 \u2028 ${'\\'.repeat(9)}`;
    const tail = `,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":${JSON.stringify(content)}}],"n":1}`;
    const send = (text: string) =>
      fetch(`${setup.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: text,
      });
    const res = await send(`{"model":"picky"${tail}`);
    assert.equal(res.status, 200, await res.clone().text());
    await res.arrayBuffer();
    assert.equal(up.requests[0].rawBody, `{"model":"gpt-picky"${tail}`);

    // A raw control character deep in the long string: the body is not JSON, whatever else it holds.
    const broken = `{"model":"picky"${tail.replace('line', 'li\u0001ne')}`;
    for (const text of [broken, `{"model":"picky"${tail.replace('\\t', '\\q')}`]) {
      assert.throws(() => JSON.parse(text));
      const bad = await send(text);
      assert.equal(bad.status, 400);
      const json = (await bad.json()) as { error: { type: string; code: string } };
      assert.equal(json.error.type, 'invalid_request_error');
      assert.equal(json.error.code, 'invalid_json');
    }
    assert.equal(up.requests.length, 1, 'nothing broken went upstream');
  });
});
