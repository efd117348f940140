import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { generateObject, jsonSchema, streamObject } from 'ai';
import OpenAI from 'openai';
import { anthropicAnswer, anthropicError, ANTHROPIC_USAGE } from '../support/anthropic';
import { readJson, type InProcessGateway } from '../support/gateway';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import type { FakeUpstream } from '../support/upstream';

const MASTER = 'sk-master-providers-anthropic';
const ANTHROPIC_KEY = 'sk-ant-upstream-secret-4242';
const IN = 0.000003;
const OUT = 0.000015;
const CALL_COST = ANTHROPIC_USAGE.input_tokens * IN + ANTHROPIC_USAGE.output_tokens * OUT;

describe('anthropic/ deployments: the openai client through the gateway, and /v1/messages with the Anthropic SDK', () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let client: OpenAI;
  let setup: ProxyOnDatabase | undefined;

  async function rejected(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof OpenAI.APIError, String(err));
      return err;
    }
    assert.fail('expected an API error');
  }
  async function newKey(): Promise<string> {
    const res = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 200);
    return (await readJson(res)).key;
  }
  async function spendOf(key: string): Promise<number> {
    const info = await readJson(await fetch(`${gw.url}/key/info`, { headers: { authorization: `Bearer ${key}` } }));
    return info.info.spend;
  }

  before(async () => {
    setup = await startProxy({
      database: 'gw_providers_anthropic',
      apiKey: MASTER,
      respond: anthropicAnswer,
      yaml: (upstream) => `model_list:
  - model_name: claude
    litellm_params:
      model: anthropic/claude-3-5-sonnet-real
      api_base: ${upstream}
      api_key: ${ANTHROPIC_KEY}
    model_info:
      input_cost_per_token: ${IN}
      output_cost_per_token: ${OUT}
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
    // The setup's client: the master key, no retries.
    ({ up, gw, client } = setup);
  });
  after(() => setup?.close());
  beforeEach(() => up.reset());

  it('plain chat: system, max_tokens default, upstream key and version; the answer in OpenAI shape with usage', async () => {
    const res = await client.chat.completions.create(
      {
        model: 'claude',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
        ],
        temperature: 0.3,
        stop: ['END'],
      },
      { headers: { 'anthropic-beta': 'from-an-openai-client' } },
    );
    assert.equal(res.choices[0].message.content, 'Hello from Claude');
    assert.equal(res.choices[0].finish_reason, 'stop');
    assert.equal(res.object, 'chat.completion');
    assert.deepEqual(
      [res.usage?.prompt_tokens, res.usage?.completion_tokens, res.usage?.total_tokens],
      [ANTHROPIC_USAGE.input_tokens, ANTHROPIC_USAGE.output_tokens, 30],
    );
    const seen = up.requests[0];
    assert.equal(seen.path, '/v1/messages');
    assert.equal(seen.headers['x-api-key'], ANTHROPIC_KEY);
    assert.equal(seen.headers['anthropic-version'], '2023-06-01');
    assert.equal(seen.headers.authorization, undefined);
    assert.doesNotMatch(JSON.stringify(seen.headers), new RegExp(MASTER));
    assert.equal(seen.headers['anthropic-beta'], undefined, 'client headers of a chat call stay at the gateway');
    assert.deepEqual(seen.body, {
      model: 'claude-3-5-sonnet-real',
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }],
      max_tokens: 4096,
      temperature: 0.3,
      stop_sequences: ['END'],
    });
  });

  it('tools: a tool call comes back as tool_calls, and the tool result goes up as a tool_result block', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: {} } } },
    ];
    const first = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools,
      tool_choice: 'required',
    });
    const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    assert.deepEqual(
      [call.id, call.function.name, JSON.parse(call.function.arguments)],
      ['toolu_01', 'weather', { city: 'Paris' }],
    );
    assert.deepEqual(up.requests[0].body.tool_choice, { type: 'any' });
    assert.deepEqual(up.requests[0].body.tools, [
      { name: 'weather', input_schema: { type: 'object', properties: {} } },
    ]);
    const second = await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: '22 C, sun' },
      ],
      tools,
    });
    assert.equal(second.choices[0].message.content, 'It is sunny');
    assert.deepEqual(up.requests[1].body.messages.slice(1), [
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: '22 C, sun' }] },
    ]);
  });

  it('images: a data URL goes up as base64, an http URL by reference', async () => {
    const res = await client.chat.completions.create({
      model: 'claude',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
            { type: 'image_url', image_url: { url: 'https://images.example/cat.png' } },
          ],
        },
      ],
    });
    assert.equal(res.choices[0].message.content, 'I see 2 images');
    assert.deepEqual(
      up.requests[0].body.messages[0].content.slice(1).map((b: any) => b.source),
      [
        { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' },
        { type: 'url', url: 'https://images.example/cat.png' },
      ],
    );
  });

  it('streaming: text and tool-call deltas as OpenAI chunks, usage last when asked for', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'Hello from Claude');
    assert.equal(finish, 'stop');
    assert.equal(usage?.prompt_tokens, ANTHROPIC_USAGE.input_tokens);
    assert.equal(usage?.completion_tokens, ANTHROPIC_USAGE.output_tokens);
    assert.equal(up.requests[0].body.stream, true);
    assert.equal(up.requests[0].body.stream_options, undefined);
    const tools = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [{ type: 'function', function: { name: 'weather' } }],
      stream: true,
    });
    let args = '';
    let name: string | undefined;
    for await (const chunk of tools) {
      for (const c of chunk.choices[0]?.delta?.tool_calls ?? []) {
        name ??= c.function?.name;
        args += c.function?.arguments ?? '';
      }
      assert.equal(chunk.usage ?? undefined, undefined, 'no usage chunk unless asked');
    }
    assert.equal(name, 'weather');
    assert.deepEqual(JSON.parse(args), { city: 'Paris' });
  });

  it('response_format: the schema goes up as a forced tool whose input comes back as the JSON content (AI SDK generateObject)', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const answer = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Where?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } },
    });
    const message = answer.choices[0].message;
    assert.deepEqual(JSON.parse(message.content ?? ''), { city: 'Paris' });
    assert.equal(message.tool_calls, undefined);
    assert.equal(answer.choices[0].finish_reason, 'stop');
    const sent = up.requests[0].body;
    assert.deepEqual(sent.tool_choice, { type: 'tool', name: 'json_tool_call' });
    assert.deepEqual(
      sent.tools.map((t: { name: string; input_schema: unknown }) => [t.name, t.input_schema]),
      [['json_tool_call', schema]],
    );
    assert.equal(sent.response_format, undefined);

    const stream = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Where?' }],
      response_format: { type: 'json_object' },
      stream: true,
    });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      assert.equal(chunk.choices[0]?.delta?.tool_calls, undefined);
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.deepEqual(JSON.parse(text), { city: 'Paris' });
    assert.equal(finish, 'stop');

    const sdk = createOpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1` });
    const place = jsonSchema<{ city: string }>(schema as Parameters<typeof jsonSchema>[0]);
    const generated = await generateObject({
      model: sdk.chat('claude'),
      prompt: 'Where?',
      schema: place,
      maxRetries: 0,
    });
    assert.deepEqual(generated.object, { city: 'Paris' });
    const streamed = streamObject({ model: sdk.chat('claude'), prompt: 'Where?', schema: place, maxRetries: 0 });
    for await (const _ of streamed.partialObjectStream);
    assert.deepEqual(await streamed.object, { city: 'Paris' });
  });

  it('errors: Anthropic 400 and 404 keep their status in the OpenAI shape; a 429 is a RateLimitError with retry-after', async () => {
    up.queue({ status: 400, json: anthropicError('invalid_request_error', 'messages: roles must alternate') });
    const bad = await rejected(
      client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] }),
    );
    assert.ok(bad instanceof OpenAI.BadRequestError);
    assert.equal(bad.message, '400 messages: roles must alternate');
    assert.equal(bad.code, 'invalid_request_error');
    assert.equal(bad.type, 'invalid_request_error');
    up.queue({ status: 404, json: anthropicError('not_found_error', 'model: claude-3-5-sonnet-real') });
    const missing = await rejected(
      client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] }),
    );
    assert.ok(missing instanceof OpenAI.NotFoundError);
    up.queue({
      status: 429,
      headers: { 'retry-after': '17' },
      json: anthropicError('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'),
    });
    const limited = await rejected(
      client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'x' }] }),
    );
    assert.ok(limited instanceof OpenAI.RateLimitError);
    assert.equal(limited.headers?.get('retry-after'), '17');
    assert.doesNotMatch(JSON.stringify(limited.error), new RegExp(ANTHROPIC_KEY));
    const unsupported = await rejected(
      client.chat.completions.create({
        model: 'claude',
        messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }],
      }),
    );
    assert.ok(unsupported instanceof OpenAI.BadRequestError);
    assert.equal(unsupported.param, 'messages[0].content[0]');
    const embeddings = await rejected(client.embeddings.create({ model: 'claude', input: 'x' }));
    assert.ok(embeddings instanceof OpenAI.BadRequestError);
    assert.match(embeddings.message, /anthropic\/ deployment, which does not take \/embeddings calls/);
  });

  it('spend of a key counts the translated usage at the deployment prices', async () => {
    const key = await newKey();
    const keyed = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    await keyed.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }] });
    const stream = await keyed.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    for await (const _ of stream);
    assert.ok(Math.abs((await spendOf(key)) - 2 * CALL_COST) < 1e-12, `spend ${await spendOf(key)}`);
  });

  it('/v1/messages: the Anthropic SDK with a virtual key, plain and streaming; passed through and billed', async () => {
    const key = await newKey();
    const anthropic = new Anthropic({
      apiKey: key,
      baseURL: gw.url,
      maxRetries: 0,
      defaultHeaders: { 'anthropic-beta': 'prompt-caching-2024-07-31' },
    });
    const msg = await anthropic.messages.create({
      model: 'claude',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    assert.equal(msg.content[0].type === 'text' && msg.content[0].text, 'Hello from Claude');
    assert.equal(msg.usage.input_tokens, ANTHROPIC_USAGE.input_tokens);
    const seen = up.requests[0];
    assert.equal(seen.headers['x-api-key'], ANTHROPIC_KEY, 'the caller key never reaches the upstream');
    assert.equal(seen.headers['anthropic-beta'], 'prompt-caching-2024-07-31', "the client's beta features go on");
    assert.deepEqual(seen.body, {
      model: 'claude-3-5-sonnet-real',
      max_tokens: 100,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const stream = anthropic.messages.stream({
      model: 'claude',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    let text = '';
    stream.on('text', (t) => (text += t));
    const final = await stream.finalMessage();
    assert.equal(text, 'Hello from Claude');
    assert.equal(final.usage.output_tokens, ANTHROPIC_USAGE.output_tokens);
    assert.ok(Math.abs((await spendOf(key)) - 2 * CALL_COST) < 1e-12, `spend ${await spendOf(key)}`);
  });

  it("/v1/messages: an upstream error passes in Anthropic's shape; a non-anthropic group is a 400", async () => {
    const anthropic = new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 });
    up.queue({ status: 400, json: anthropicError('invalid_request_error', 'max_tokens: too large') });
    await assert.rejects(
      anthropic.messages.create({ model: 'claude', max_tokens: 8000, messages: [{ role: 'user', content: 'Hi' }] }),
      (err: unknown) => err instanceof Anthropic.BadRequestError && /max_tokens: too large/.test(err.message),
    );
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': MASTER, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'gpt', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.equal(res.status, 400);
    const body = await readJson(res);
    assert.equal(body.error.code, 'unsupported_operation');
    assert.match(body.error.message, /\/v1\/messages reaches anthropic\/ deployments/);
    const anonymous = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude', max_tokens: 5, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    assert.equal(anonymous.status, 401);
  });
});
