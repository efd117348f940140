import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { SpendWriter } from '../../src/keys/spend/spend-writer.service';
import { readJson, type InProcessGateway } from '../support/gateway';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import { chatChunks, errorBody, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-test-master-key-proxy-1234';
const UPSTREAM_KEY = 'sk-upstream-secret-openai-5678';

describe('proxy: OpenAI client against openai/ deployments', () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let client: OpenAI;
  let setup: ProxySetup | undefined;

  before(async () => {
    setup = await startProxy({
      apiKey: MASTER,
      yaml: (upstream) => `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o-real
      api_base: ${upstream}/v1
      api_key: ${UPSTREAM_KEY}
  - model_name: text-embed
    litellm_params:
      model: openai/text-embedding-3-small
      api_base: ${upstream}/v1
      api_key: ${UPSTREAM_KEY}
general_settings:
  master_key: ${MASTER}
`,
    });
    ({ up, gw, client } = setup);
  });
  after(() => setup?.close());
  beforeEach(() => up.reset());

  /** The upstream never sees the caller's credential, only its own key. */
  function assertUpstreamCredentials(headers: Record<string, unknown>) {
    assert.equal(headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.equal(headers['api-key'], undefined);
    assert.equal(headers['x-litellm-api-key'], undefined);
    assert.equal(headers.cookie, undefined);
    assert.doesNotMatch(JSON.stringify(headers), new RegExp(MASTER));
  }

  it('forwards a chat completion: path, upstream key, model rewritten, unknown fields untouched', async () => {
    const params = {
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
      temperature: 0.25,
      some_future_field: { nested: [1, 'two'] },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming;
    const res = await client.chat.completions.create(params);
    assert.equal(res.choices[0].message.content, 'Hello from upstream');
    assert.equal(res.usage?.total_tokens, 18);
    assert.equal(up.requests.length, 1);
    const seen = up.requests[0];
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, '/v1/chat/completions');
    assert.deepEqual(seen.query, {});
    assertUpstreamCredentials(seen.headers);
    assert.equal(seen.body.model, 'gpt-4o-real');
    assert.equal(seen.body.temperature, 0.25);
    assert.deepEqual(seen.body.some_future_field, { nested: [1, 'two'] });
    assert.deepEqual(seen.body.messages, [{ role: 'user', content: 'Hi' }]);
    assert.equal(seen.body.stream_options, undefined);
  });

  it("sends the client's own bytes on, changing only the top-level fields it must (model, stream_options)", async () => {
    // Numbers as the client wrote them (a seed past 2^53 is not rounded), its spacing and escapes, its field order.
    const members = [
      '"messages" : [ {"role":"user","content":"caf\\u00e9 \\"x\\""} ]',
      '"seed": 12345678901234567891',
      '"temperature":1.50',
      '"logit_bias":{"50256":-100}',
    ];
    const body = `{\n  "model":"gpt-4o",\n  ${members.slice(0, 2).join(',\n  ')},${members.slice(2).join(', ')} }`;
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body,
    });
    assert.equal(r.status, 200, await r.text());
    assert.equal(
      up.requests[0].rawBody,
      `{"model":"gpt-4o-real",${members.slice(0, 2).join(',\n  ')},${members.slice(2).join(', ')}}`,
    );
    const streamed = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: `{"stream": true, ${members[1]}, "model": "gpt-4o", ${members[0]}}`,
    });
    assert.equal(streamed.status, 200);
    await streamed.text();
    assert.equal(
      up.requests[1].rawBody,
      `{"stream": true, ${members[1]},"model":"gpt-4o-real",${members[0]},"stream_options":{"include_usage":true}}`,
    );
    // A field given twice is read as its last value; an upstream that reads the first must not see the other one.
    const twice = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: `{"model":"gpt-4o-expensive","max_tokens":1,"max_tokens":2,"model":"gpt-4o",${members[0]}}`,
    });
    assert.equal(twice.status, 200);
    assert.equal(
      up.requests[2].rawBody,
      '{"model":"gpt-4o-real","max_tokens":2,"messages":[{"role":"user","content":"café \\"x\\""}]}',
    );
  });

  it('also answers on the path without /v1, with the serving deployment named', async () => {
    const r = await fetch(`${gw.url}/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${MASTER}`,
        'content-type': 'application/json',
        cookie: 'session=abc',
        connection: 'keep-alive',
      },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-litellm-model-id'), 'gpt-4o#0');
    assert.equal((await readJson(r)).object, 'chat.completion');
    assertUpstreamCredentials(up.requests[0].headers);
  });

  it('streams chunks one by one, before the upstream has finished', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let gateTimedOut = false;
    const chunks = chatChunks(['one', ' two', ' three', ' four']);
    up.respondWith({
      sse: [
        chunks[0],
        chunks[1],
        // The upstream holds the rest back until the client has seen ' one' (or 10 s passed: then the test fails).
        () => Promise.race([gate, new Promise<void>((r) => setTimeout(() => ((gateTimedOut = true), r()), 10_000))]),
        ...chunks.slice(2),
      ],
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
    });
    const received: string[] = [];
    for await (const chunk of stream) {
      const text = chunk.choices[0]?.delta?.content;
      if (text) received.push(text);
      if (text === 'one') release();
    }
    assert.equal(gateTimedOut, false, 'the first chunk reached the client only after the upstream finished');
    assert.deepEqual(received, ['one', ' two', ' three', ' four']);
  });

  it('asks the upstream for streaming usage and hides the usage chunk from a client that did not ask', async () => {
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], stream: true }),
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
    // The headers set before the stream (request id) and for it (deployment, caching) all reach the client.
    assert.ok(r.headers.get('x-request-id'));
    assert.equal(r.headers.get('x-litellm-model-id'), 'gpt-4o#0');
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    assert.equal(r.headers.get('x-accel-buffering'), 'no');
    const text = await r.text();
    assert.deepEqual(up.requests[0].body.stream_options, { include_usage: true });
    const events = text.split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    assert.equal(events.filter((e) => e === 'data: [DONE]').length, 1);
    for (const e of events.slice(0, -1)) {
      const chunk = JSON.parse(e.slice('data: '.length));
      assert.ok(chunk.choices.length > 0, `usage-only chunk passed on: ${e}`);
    }
  });

  it('passes the usage chunk to a client that asked for it', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | null | undefined;
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, 'Hello from upstream');
    assert.deepEqual(usage, { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });
    assert.deepEqual(up.requests[0].body.stream_options, { include_usage: true });
  });

  it('forwards embeddings', async () => {
    const res = await client.embeddings.create({ model: 'text-embed', input: ['a', 'b'], encoding_format: 'float' });
    assert.equal(res.data.length, 2);
    assert.equal(res.data[1].embedding.length, 4);
    const seen = up.requests[0];
    assert.equal(seen.path, '/v1/embeddings');
    assert.equal(seen.body.model, 'text-embedding-3-small');
    assert.deepEqual(seen.body.input, ['a', 'b']);
    assertUpstreamCredentials(seen.headers);
  });

  it('lists the model groups', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.deepEqual(ids, ['gpt-4o', 'text-embed']);
    const one = await client.models.retrieve('text-embed');
    assert.equal(one.id, 'text-embed');
    const plain = await readJson(await fetch(`${gw.url}/models`, { headers: { authorization: `Bearer ${MASTER}` } }));
    assert.equal(plain.object, 'list');
    assert.deepEqual(
      plain.data.map((m: { id: string; object: string }) => [m.id, m.object]),
      [
        ['gpt-4o', 'model'],
        ['text-embed', 'model'],
      ],
    );
  });

  it('passes an upstream 400 back with the same status and body, without retrying', async () => {
    const body = errorBody(
      "Invalid value for 'temperature': must be <= 2.",
      'invalid_request_error',
      'invalid_value',
      'temperature',
    );
    up.respondWith({ json: body, status: 400 });
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], temperature: 9 }),
    });
    assert.equal(r.status, 400);
    assert.equal(await r.text(), JSON.stringify(body));
    assert.equal(up.requests.length, 1);
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], temperature: 9 }),
      (err: unknown) =>
        err instanceof OpenAI.BadRequestError &&
        err.status === 400 &&
        err.code === 'invalid_value' &&
        err.param === 'temperature',
    );
  });

  it('puts an upstream 4xx that is not an OpenAI error (HTML, text, {"error": "..."}) in the OpenAI shape, quoting it', async () => {
    const cases: { answer: { raw: string; status: number; headers: Record<string, string> }; quote: string }[] = [
      {
        answer: {
          raw: '<html><body>\n<h1>404 Not Found</h1>\n</body></html>',
          status: 404,
          headers: { 'content-type': 'text/html' },
        },
        quote: '<html><body> <h1>404 Not Found</h1> </body></html>',
      },
      {
        answer: { raw: 'payload too large', status: 413, headers: { 'content-type': 'text/plain' } },
        quote: 'payload too large',
      },
      {
        answer: { raw: '{"error":"model not loaded"}', status: 422, headers: { 'content-type': 'application/json' } },
        quote: 'model not loaded',
      },
      // The upstream's own key, JSON-escaped so the raw bytes do not hold it: scrubbed from the parsed text too.
      {
        answer: {
          raw: `{"error":"key \\u00${UPSTREAM_KEY.charCodeAt(0).toString(16)}${UPSTREAM_KEY.slice(1)} rejected"}`,
          status: 400,
          headers: { 'content-type': 'application/json' },
        },
        quote: 'key [REDACTED] rejected',
      },
      {
        answer: {
          raw: 'plain, not compressed',
          status: 409,
          headers: { 'content-type': 'text/plain', 'content-encoding': 'identity' },
        },
        quote: 'plain, not compressed',
      },
    ];
    for (const { answer, quote } of cases) {
      up.respondWith(answer);
      const r = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      });
      assert.equal(r.status, answer.status);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      const body = await readJson(r);
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(body.error.message, `Upstream answered ${answer.status}: ${quote}`);
      assert.equal(body.error.code, 'upstream_error');
    }
    // An OpenAI-shaped error passes as it is, unless it holds the key JSON-escaped: then it is written out scrubbed.
    up.respondWith({
      raw: `{"error":{"message":"bad key \\u00${UPSTREAM_KEY.charCodeAt(0).toString(16)}${UPSTREAM_KEY.slice(1)}","type":"invalid_request_error","param":null,"code":"bad"}}`,
      status: 400,
      headers: { 'content-type': 'application/json' },
    });
    const escaped = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(escaped.status, 400);
    assert.deepEqual(await readJson(escaped), {
      error: { message: 'bad key [REDACTED]', type: 'invalid_request_error', param: null, code: 'bad' },
    });
    // Azure's shape ({"error": {"code", "message"}}, no type or param): completed, its own fields kept.
    up.respondWith({
      json: {
        error: {
          code: 'DeploymentNotFound',
          message: 'The API deployment for this resource does not exist.',
          innererror: { x: 1 },
        },
      },
      status: 404,
    });
    const azureShaped = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(azureShaped.status, 404);
    assert.deepEqual(await readJson(azureShaped), {
      error: {
        code: 'DeploymentNotFound',
        message: 'The API deployment for this resource does not exist.',
        innererror: { x: 1 },
        type: 'invalid_request_error',
        param: null,
      },
    });
    up.respondWith(cases[0].answer);
    await assert.rejects(
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) =>
        err instanceof OpenAI.NotFoundError && err.message.includes('404 Not Found') && err.code === 'upstream_error',
    );
  });

  it('passes a compressed answer on as is, with its content-type and content-encoding (the upstream header names in any case)', async () => {
    const answer = {
      id: 'c1',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'zipped' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    };
    const zipped = gzipSync(JSON.stringify(answer));
    up.respondWith({
      raw: zipped,
      status: 200,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'CONTENT-ENCODING': 'gzip' },
    });
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json', 'accept-encoding': 'identity' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(r.headers.get('content-encoding'), 'gzip');
    assert.deepEqual(await r.json(), answer); // fetch decodes it
    const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(res.choices[0].message.content, 'zipped');
  });

  it('answers an unknown model with a 404 naming the available groups', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.NotFoundError);
        assert.equal(err.code, 'model_not_found');
        assert.equal(err.param, 'model');
        assert.match(err.message, /nope.*gpt-4o, text-embed/);
        assert.doesNotMatch(err.message, /upstream|127\.0\.0\.1|sk-/);
        return true;
      },
    );
    assert.equal(up.requests.length, 0);
  });

  it('answers bad bodies with a 400 naming the field', async () => {
    const post = (body: unknown, path = '/v1/chat/completions') =>
      fetch(gw.url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const cases: [unknown, string, string?][] = [
      [{ model: 'gpt-4o' }, 'messages'],
      [{ model: 'gpt-4o', messages: 'hi' }, 'messages'],
      [{ model: 'gpt-4o', messages: [] }, 'messages'],
      [{ model: 'gpt-4o', messages: [{ content: 'no role' }] }, 'messages[0].role'],
      [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
      [{ model: 42, messages: [{ role: 'user', content: 'x' }] }, 'model'],
      [{ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], stream: 'yes' }, 'stream'],
      [{ model: 'text-embed' }, 'input', '/v1/embeddings'],
      [{ model: 'text-embed', input: [{}] }, 'input[0]', '/embeddings'],
      [{ model: 'text-embed', input: [] }, 'input', '/v1/embeddings'],
      [{ model: 'text-embed', input: ['a', 1] }, 'input[1]', '/v1/embeddings'],
      [{ model: 'text-embed', input: [[1], [2, 'x']] }, 'input[1][1]', '/v1/embeddings'],
      [{ model: 'text-embed', input: [1, 2.5] }, 'input[1]', '/v1/embeddings'],
    ];
    for (const [body, param, path] of cases) {
      const r = await post(body, path);
      assert.equal(r.status, 400, JSON.stringify(body));
      const e = (await readJson(r)).error;
      assert.equal(e.type, 'invalid_request_error');
      assert.equal(e.param, param, JSON.stringify(body));
      assert.match(e.message, new RegExp(param.replace(/[[\]]/g, '\\$&')));
    }
    const notObject = await post([1, 2]);
    assert.equal(notObject.status, 400);
    assert.equal(up.requests.length, 0);
  });

  it('refuses a 10 MB body of bad elements at the first one, and keeps serving', async () => {
    // A validator that records every bad element (or tries each form of input over all of them) built millions
    // of issue objects from such a body: seconds of a stalled event loop, then an out-of-memory crash.
    const post = (path: string, json: string) =>
      fetch(gw.url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: json,
      });
    const many = (n: number, element: string) => Array(n).fill(element).join(',');
    const bodies: [string, string, string][] = [
      ['/v1/embeddings', `{"model":"text-embed","input":[${many(3_300_000, '{}')}]}`, 'input[0]'],
      ['/v1/embeddings', `{"model":"text-embed","input":[${many(1_500_000, '1.5')}]}`, 'input[0]'],
      ['/v1/embeddings', `{"model":"text-embed","input":[${many(2_000_000, '7')},"x"]}`, 'input[2000000]'],
      ['/v1/chat/completions', `{"model":"gpt-4o","messages":[${many(3_300_000, '{}')}]}`, 'messages[0].role'],
    ];
    for (const [path, json, param] of bodies) {
      assert.ok(json.length < 10 * 1024 * 1024);
      const r = await post(path, json);
      assert.equal(r.status, 400);
      assert.equal((await readJson(r)).error.param, param);
    }
    assert.equal(up.requests.length, 0);
    const ok = await client.embeddings.create({ model: 'text-embed', input: [1, 2, 3], encoding_format: 'float' });
    assert.ok(ok.data.length > 0);
    assert.deepEqual(up.requests[0].body.input, [1, 2, 3], 'a token array is passed on as it came');
  });

  it('refuses a call without a credential with 401 before reading its body: bad JSON, another content type, 10 MB', async () => {
    const post = (body: string, type: string) =>
      fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': type }, body });
    const cases: [string, string][] = [
      ['{bad', 'application/json'],
      ['hello', 'text/plain'],
      [`{"model":"gpt-4o","messages":[${Array(3_000_000).fill('{}').join(',')}]}`, 'application/json'],
    ];
    for (const [body, type] of cases) {
      const r = await post(body, type);
      assert.equal(r.status, 401, `${type} ${body.slice(0, 10)}`);
      assert.equal((await readJson(r)).error.code, 'missing_api_key');
    }
    // With a credential the body is read and checked as before; public routes need none.
    const bad = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER}` },
      body: '{bad',
    });
    assert.equal(bad.status, 400);
    assert.equal((await fetch(`${gw.url}/health/liveliness`)).status, 200);
    assert.equal((await fetch(`${gw.url}/no/such/route`, { method: 'POST', body: '{}' })).status, 404);
    assert.equal(up.requests.length, 0);
  });

  it('never logs the upstream key or the master key', () => {
    const logs = gw.logs.text();
    assert.ok(logs.length > 0);
    assert.doesNotMatch(logs, new RegExp(UPSTREAM_KEY));
    assert.doesNotMatch(logs, new RegExp(MASTER));
  });
});

describe('proxy: an answer the upstream compressed anyway is still billed', () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;

  before(async () => {
    setup = await startProxy({
      apiKey: MASTER,
      yaml: (upstream) => `
model_list:
  - model_name: priced
    litellm_params: { model: openai/priced-real, api_base: ${upstream}/v1, api_key: ${UPSTREAM_KEY} }
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 }
general_settings:
  master_key: ${MASTER}
`,
    });
    ({ up, gw } = setup);
  });
  after(() => setup?.close());

  it('reads the usage of a gzip, deflate or br answer from a decoded copy, and passes the answer on as it came', async () => {
    const generated = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const key = (await readJson(generated)) as { key: string; token: string };
    const answer = {
      id: 'c1',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'packed' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    };
    const text = JSON.stringify(answer);
    const encodings: [string, Buffer][] = [
      ['gzip', gzipSync(text)],
      ['deflate', deflateSync(text)],
      ['br', brotliCompressSync(text)],
    ];
    for (const [encoding, body] of encodings) {
      up.respondWith({
        raw: body,
        status: 200,
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      });
      const r = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'priced', messages: [{ role: 'user', content: 'x' }] }),
      });
      assert.equal(r.status, 200, encoding);
      assert.equal(r.headers.get('content-encoding'), encoding);
      assert.deepEqual(await r.json(), answer, encoding);
    }
    await gw.app.get(SpendWriter).flush();
    const info = await readJson(
      await fetch(`${gw.url}/key/info?key=${key.token}`, { headers: { authorization: `Bearer ${MASTER}` } }),
    );
    assert.ok(Math.abs(info.info.spend - 3 * (10 * 0.001 + 5 * 0.002)) < 1e-9, `spend ${info.info.spend}`);
  });
});
