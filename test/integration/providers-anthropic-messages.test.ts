import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { anthropicAnswer, countedTokens, messageEvents } from '../support/anthropic';
import { readJson, type InProcessGateway } from '../support/gateway';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import type { FakeUpstream } from '../support/upstream';

const MASTER = 'sk-master-anthropic-messages';

interface AnthropicErrorBody {
  type: string;
  request_id?: string;
  error: { type: string; message: string; code?: string | null };
}
type SdkError = InstanceType<typeof Anthropic.APIError> & { error: AnthropicErrorBody };

/** What the Anthropic SDK threw, with the error body it read. */
async function sdkError(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof Anthropic.APIError, String(err));
    return err as SdkError;
  }
  assert.fail('expected an API error');
}

describe("/v1/messages: Anthropic's errors (the gateway's own refusals, a stream failing mid-way) and count_tokens", () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;
  let anthropic: Anthropic;

  before(async () => {
    setup = await startProxy({
      apiKey: MASTER,
      respond: anthropicAnswer,
      yaml: (upstream) => `model_list:
  - model_name: claude
    litellm_params:
      model: anthropic/claude-sonnet-real
      api_base: ${upstream}
      api_key: sk-ant-upstream
    model_info:
      input_cost_per_token: 0.000003
      output_cost_per_token: 0.000015
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o
      api_base: ${upstream}/v1
general_settings:
  master_key: ${MASTER}
router_settings:
  num_retries: 0
`,
    });
    ({ up, gw } = setup);
    anthropic = new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 });
  });
  after(() => setup?.close());
  beforeEach(() => up.reset());

  const hi = { max_tokens: 10, messages: [{ role: 'user' as const, content: 'Hi' }] };

  it("refusals are in Anthropic's shape with its error types, the gateway's code kept", async () => {
    const unknown = await sdkError(anthropic.messages.create({ model: 'nope', ...hi }));
    assert.ok(unknown instanceof Anthropic.NotFoundError);
    assert.equal(unknown.error.type, 'error');
    assert.equal(unknown.error.error.type, 'not_found_error');
    assert.equal(unknown.error.error.code, 'model_not_found');
    assert.match(unknown.error.error.message, /Model 'nope' not found/);
    assert.equal(unknown.error.request_id, unknown.headers?.get('x-request-id'));

    const badKey = new Anthropic({ apiKey: 'sk-no-such-key', baseURL: gw.url, maxRetries: 0 });
    const denied = await sdkError(badKey.messages.create({ model: 'claude', ...hi }));
    assert.ok(denied instanceof Anthropic.AuthenticationError);
    assert.equal(denied.error.type, 'error');
    assert.equal(denied.error.error.type, 'authentication_error');

    const wrongGroup = await sdkError(anthropic.messages.create({ model: 'gpt', ...hi }));
    assert.ok(wrongGroup instanceof Anthropic.BadRequestError);
    assert.equal(wrongGroup.error.error.type, 'invalid_request_error');
    assert.equal(wrongGroup.error.error.code, 'unsupported_operation');

    const noMessages = await sdkError(anthropic.messages.create({ model: 'claude', max_tokens: 5 } as never));
    assert.equal(noMessages.status, 400);
    assert.equal(noMessages.error.error.type, 'invalid_request_error');
    assert.equal(up.requests.length, 0, 'none of these reached the upstream');
  });

  it('the OpenAI routes keep the OpenAI shape', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.equal(res.status, 404);
    const body = (await res.json()) as Record<string, any>;
    assert.equal(body.type, undefined);
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.type, 'not_found_error');
  });

  it('an upstream stream cut mid-way ends with an Anthropic error event, which the SDK raises', async () => {
    const events = messageEvents('claude-sonnet-real', [{ type: 'text', text: 'Hello from Claude' }], 'end_turn');
    up.queue({ sse: events.slice(0, 4), resetAfter: 4, done: false });
    const stream = await anthropic.messages.create({ model: 'claude', ...hi, stream: true });
    const seen: string[] = [];
    const failed = await sdkError(
      (async () => {
        for await (const e of stream) seen.push(e.type);
      })(),
    );
    assert.deepEqual(seen.slice(0, 2), ['message_start', 'content_block_start']);
    assert.equal(failed.error.type, 'error');
    assert.equal(failed.error.error.type, 'api_error');
    assert.match(failed.error.error.message, /upstream stream failed/);
  });

  it("count_tokens: the Anthropic SDK's countTokens reaches the group's anthropic/ deployment, and is not billed", async () => {
    const created = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const key = (await readJson(created)).key as string;
    const client = new Anthropic({
      apiKey: key,
      baseURL: gw.url,
      maxRetries: 0,
      defaultHeaders: { 'anthropic-beta': 'token-counting-2024-11-01' },
    });
    const messages = [{ role: 'user' as const, content: 'How many tokens is this?' }];
    const counted = await client.messages.countTokens({ model: 'claude', system: 'Be brief.', messages });
    assert.deepEqual(counted, { input_tokens: countedTokens(messages) });
    const seen = up.requests[0];
    assert.equal(seen.path, '/v1/messages/count_tokens');
    assert.equal(seen.headers['x-api-key'], 'sk-ant-upstream');
    assert.equal(seen.headers['anthropic-version'], '2023-06-01');
    assert.equal(seen.headers['anthropic-beta'], 'token-counting-2024-11-01');
    assert.deepEqual(seen.body, { model: 'claude-sonnet-real', system: 'Be brief.', messages });
    const info = await readJson(await fetch(`${gw.url}/key/info`, { headers: { authorization: `Bearer ${key}` } }));
    assert.equal(info.info.spend, 0, 'a token count costs nothing');

    const wrongGroup = await sdkError(client.messages.countTokens({ model: 'gpt', messages }));
    assert.equal(wrongGroup.status, 400);
    assert.equal(wrongGroup.error.error.code, 'unsupported_operation');
    assert.equal(up.requests.length, 1);
  });
});
