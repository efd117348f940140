import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../src/common/errors/gateway-error';
import { fromAnthropicAnswer } from '../../src/proxy/providers/anthropic/anthropic-answer';
import { anthropicClientError } from '../../src/proxy/providers/anthropic/anthropic-errors';
import { AnthropicMessagesRelay } from '../../src/proxy/providers/anthropic/anthropic-messages-relay';
import {
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  toAnthropicRequest,
} from '../../src/proxy/providers/anthropic/anthropic-request';
import { AnthropicChatStream } from '../../src/proxy/providers/anthropic/anthropic-stream';

const sse = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** A Messages stream as Anthropic sends it: text, then a tool call whose input arrives in pieces. */
const STREAM = [
  sse('message_start', {
    message: {
      id: 'msg_1',
      model: 'claude-x',
      usage: { input_tokens: 12, cache_read_input_tokens: 3, output_tokens: 1 },
    },
  }),
  sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
  sse('ping', {}),
  sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hel' } }),
  sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'lo ✓' } }),
  sse('content_block_stop', { index: 0 }),
  sse('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get', input: {} } }),
  sse('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } }),
  sse('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }),
  sse('content_block_stop', { index: 1 }),
  sse('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } }),
  sse('message_stop', {}),
].join('');

function chunksOf(text: string): any[] {
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((e) => e.replace(/^data: /, ''))
    .map((d) => (d === '[DONE]' ? '[DONE]' : JSON.parse(d)));
}

describe('anthropic: OpenAI chat request to the Messages API', () => {
  it('moves system messages out, merges turns, turns tools, tool calls and tool results into blocks', () => {
    const out = toAnthropicRequest(
      {
        model: 'group',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get', arguments: '{"city":"Paris"}' } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
          { role: 'user', content: 'Thanks' },
        ],
        tools: [
          { type: 'function', function: { name: 'get', description: 'weather', parameters: { type: 'object' } } },
        ],
        tool_choice: { type: 'function', function: { name: 'get' } },
        parallel_tool_calls: false,
        stop: 'END',
        temperature: 0.2,
        top_p: 0.9,
        user: 'u-1',
        stream_options: { include_usage: true },
        frequency_penalty: 0.5,
      },
      'claude-x',
    );
    assert.deepEqual(out, {
      model: 'claude-x',
      system: 'Be brief.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'get', input: { city: 'Paris' } }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' },
            { type: 'text', text: 'Thanks' },
          ],
        },
      ],
      max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['END'],
      tools: [{ name: 'get', description: 'weather', input_schema: { type: 'object' } }],
      tool_choice: { type: 'tool', name: 'get', disable_parallel_tool_use: true },
      metadata: { user_id: 'u-1' },
    });
  });

  it('images: data URLs as base64, http URLs by reference; max_tokens and stream kept', () => {
    const out = toAnthropicRequest(
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
        max_tokens: 100,
        stream: true,
        tool_choice: 'required',
      },
      'm',
    );
    assert.deepEqual((out.messages as any)[0].content.slice(1), [
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
    assert.equal(out.max_tokens, 100);
    assert.equal(out.stream, true);
    assert.deepEqual(out.tool_choice, { type: 'any' });
  });

  it('refuses what it cannot translate with a 400 naming the field', () => {
    const cases: [unknown[], string][] = [
      [
        [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x' } }] }],
        'messages[0].content[0].image_url.url',
      ],
      [[{ role: 'user', content: [{ type: 'input_audio' }] }], 'messages[0].content[0]'],
      [[{ role: 'function', content: 'x' }], 'messages[0].role'],
      [[{ role: 'tool', content: 'x' }], 'messages[0].tool_call_id'],
      [
        [{ role: 'assistant', tool_calls: [{ id: 'c', function: { name: 'f', arguments: '{bad' } }] }],
        'messages[0].tool_calls[0].function.arguments',
      ],
    ];
    for (const [messages, param] of cases) {
      assert.throws(
        () => toAnthropicRequest({ messages }, 'm'),
        (err: unknown) => err instanceof GatewayError && err.status === 400 && err.param === param,
        param,
      );
    }
  });
});

describe('anthropic: Messages answer to an OpenAI chat completion', () => {
  it('text, tool calls, finish reason and usage (cache tokens counted as prompt)', () => {
    const answer = {
      id: 'msg_9',
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'toolu_9', name: 'get', input: { city: 'Oslo' } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 20, cache_creation_input_tokens: 5, cache_read_input_tokens: 2, output_tokens: 7 },
    };
    const out = fromAnthropicAnswer(Buffer.from(JSON.stringify(answer)), 1700000000)!;
    assert.deepEqual(out.usage, { promptTokens: 27, completionTokens: 7 });
    const c = JSON.parse(out.body.toString());
    assert.equal(c.object, 'chat.completion');
    assert.equal(c.created, 1700000000);
    assert.equal(c.choices[0].finish_reason, 'tool_calls');
    assert.equal(c.choices[0].message.content, 'Let me check.');
    assert.deepEqual(c.choices[0].message.tool_calls, [
      { id: 'toolu_9', type: 'function', function: { name: 'get', arguments: '{"city":"Oslo"}' } },
    ]);
    assert.equal(c.usage.prompt_tokens, 27);
    assert.equal(c.usage.total_tokens, 34);
    assert.equal(c.usage.prompt_tokens_details.cached_tokens, 2);
    assert.equal(fromAnthropicAnswer(Buffer.from('<html>'), 0), null);
  });

  it('max_tokens and stop sequences map to length and stop', () => {
    const one = (stop_reason: string) =>
      JSON.parse(
        fromAnthropicAnswer(Buffer.from(JSON.stringify({ content: [], stop_reason, usage: {} })), 0)!.body.toString(),
      ).choices[0].finish_reason;
    assert.equal(one('max_tokens'), 'length');
    assert.equal(one('stop_sequence'), 'stop');
    assert.equal(one('end_turn'), 'stop');
  });
});

describe('anthropic: event stream to OpenAI chunks', () => {
  it('translates every event, in pieces of any size, with usage last when asked for', () => {
    for (const size of [1, 7, 64, STREAM.length]) {
      const t = new AnthropicChatStream(1700000000, true);
      const bytes = Buffer.from(STREAM);
      let out = '';
      for (let i = 0; i < bytes.length; i += size) out += t.push(bytes.subarray(i, i + size)).toString();
      out += t.finish().toString();
      const chunks = chunksOf(out);
      assert.equal(chunks.at(-1), '[DONE]', `size ${size}`);
      const body = chunks.slice(0, -1);
      assert.ok(body.every((c) => c.object === 'chat.completion.chunk' && c.id === 'msg_1' && c.model === 'claude-x'));
      assert.deepEqual(body[0].choices[0].delta, { role: 'assistant', content: '' });
      const text = body.map((c) => c.choices[0]?.delta?.content ?? '').join('');
      assert.equal(text, 'Hello ✓');
      const calls = body.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
      assert.deepEqual(calls[0], {
        index: 0,
        id: 'toolu_1',
        type: 'function',
        function: { name: 'get', arguments: '' },
      });
      assert.equal(calls.map((c: any) => c.function.arguments).join(''), '{"city":"Paris"}');
      assert.equal(body.at(-2).choices[0].finish_reason, 'tool_calls');
      assert.deepEqual(body.at(-1).choices, []);
      assert.deepEqual(body.at(-1).usage, {
        prompt_tokens: 15,
        completion_tokens: 9,
        total_tokens: 24,
        prompt_tokens_details: { cached_tokens: 3 },
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 3,
      });
      assert.deepEqual(t.usage, { promptTokens: 15, completionTokens: 9 });
    }
  });

  it('no usage chunk unless asked; an error event becomes an OpenAI error event; [DONE] even when cut short', () => {
    const t = new AnthropicChatStream(1, false);
    let out = t.push(Buffer.from(STREAM)).toString() + t.finish().toString();
    assert.ok(chunksOf(out).every((c) => c === '[DONE]' || c.choices.length === 1));
    const e = new AnthropicChatStream(1, false);
    out = e.push(Buffer.from(STREAM.split('event: content_block_stop')[0])).toString();
    out += e.push(Buffer.from(sse('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }))).toString();
    out += e.finish().toString();
    const chunks = chunksOf(out);
    assert.deepEqual(chunks.at(-2), {
      error: { message: 'Overloaded', type: 'service_unavailable', param: null, code: 'overloaded_error' },
    });
    assert.equal(chunks.at(-1), '[DONE]');
  });

  it('the /v1/messages relay passes bytes unchanged and reads the usage', () => {
    const r = new AnthropicMessagesRelay();
    const bytes = Buffer.from(STREAM);
    const parts: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 5) parts.push(r.push(bytes.subarray(i, i + 5)));
    parts.push(r.finish());
    assert.equal(Buffer.concat(parts).toString(), STREAM);
    assert.deepEqual(r.usage, { promptTokens: 15, completionTokens: 9 });
  });
});

describe('anthropic: errors', () => {
  it('an Anthropic error keeps its status, takes the OpenAI shape, and never quotes the key', () => {
    const body = { type: 'error', error: { type: 'not_found_error', message: 'model: claude-nope (key sk-ant-1)' } };
    const err = anthropicClientError(404, Buffer.from(JSON.stringify(body)), 'sk-ant-1');
    assert.equal(err.status, 404);
    assert.equal(err.type, 'not_found_error');
    assert.equal(err.code, 'not_found_error');
    assert.equal(err.message, 'model: claude-nope (key [REDACTED])');
    const html = anthropicClientError(413, Buffer.from('<h1>too big</h1>'), undefined);
    assert.equal(html.status, 413);
    assert.match(html.message, /too big/);
  });
});
