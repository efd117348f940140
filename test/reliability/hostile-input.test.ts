import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spawnGateway, writeConfig, type SpawnedGateway } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';
import { assertOpenAIError, rawHttp, rawRequest } from '../support/raw-http';
import { startUpstream, type FakeUpstream } from '../support/upstream';

/**
 * Hostile input against the production build: every answer a clean 4xx in the OpenAI error
 * shape, never a 500, the process alive, nothing reaching an upstream path it should not. The basics (malformed
 * or empty JSON, 415, a small configured limit, hostile request ids) are in test/integration/foundation-http.
 */
const MASTER = 'sk-hostile-master-6b1d90';
const CHAT = { model: 'gpt', messages: [{ role: 'user', content: 'hi' }] };
const JSON_HEADERS = { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' };
const AUTH = `Authorization: Bearer ${MASTER}`;
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('hostile input (production build)', () => {
  let upstream: FakeUpstream;
  let gw: SpawnedGateway;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  before(async () => {
    upstream = await startUpstream();
    db = await createTestDatabase();
    const config = writeConfig(`general_settings:
  master_key: ${MASTER}
model_list:
  - model_name: az
    litellm_params:
      model: azure/dep1
      api_base: ${upstream.url}
      api_key: azure-upstream-key-hostile
  - model_name: gpt
    litellm_params:
      model: openai/gpt-upstream
      api_base: ${upstream.url}/v1
      api_key: openai-upstream-key-hostile
router_settings:
  num_retries: 0
`);
    gw = await spawnGateway(['--config', config], { DATABASE_URL: db.url }, 60_000);
  });

  after(async () => {
    const code = await gw?.stop('SIGTERM');
    await upstream?.close();
    await db?.drop();
    assert.equal(code, 0, 'the gateway survived everything and stopped cleanly');
  });

  /** Sends a JSON body (text) to a route with the master key; asserts a 4xx in the OpenAI shape and returns the error. */
  async function expect4xx(path: string, body: string, status: number, what: string) {
    const r = await fetch(gw.url + path, { method: 'POST', headers: JSON_HEADERS, body });
    const text = await r.text();
    assert.equal(r.status, status, `${what}: ${text.slice(0, 300)}`);
    return assertOpenAIError(text, what);
  }

  async function assertAlive() {
    assert.equal(gw.proc.exitCode, null, 'the process is still running');
    assert.equal((await fetch(`${gw.url}/health/liveliness`)).status, 200);
    assert.doesNotMatch(gw.output(), /"msg":"unhandled error"/, 'no request ended in an internal error');
  }

  it('a body over the default 10 MB is 413; just under it is read (and judged on its content)', async () => {
    const filler = 'x'.repeat(10 * 1024 * 1024);
    const over = await expect4xx('/v1/chat/completions', JSON.stringify({ ...CHAT, pad: filler }), 413, 'over 10 MB');
    assert.equal(over.code, 'request_too_large');
    // 9.5 MB with a wrong type: parsed and validated (400), so the limit is not lower than configured.
    const under = JSON.stringify({ model: 'gpt', messages: 'not-an-array', pad: 'x'.repeat(9.5 * 1024 * 1024) });
    const e = await expect4xx('/v1/chat/completions', under, 400, 'under 10 MB');
    assert.equal(e.param, 'messages');
    // A lying Content-Length over the limit is refused before the body is read.
    const lying = await rawRequest(
      gw.url,
      `POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\n${AUTH}\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{}`,
    );
    assert.equal(lying.status, 413);
    assertOpenAIError(lying.body, 'lying content-length');
    await assertAlive();
  });

  it('wrong types in the model bodies are 400 naming the field', async () => {
    const cases: [string, unknown, string | null][] = [
      ['/v1/chat/completions', { model: 42, messages: CHAT.messages }, 'model'],
      ['/v1/chat/completions', { model: null, messages: CHAT.messages }, 'model'],
      ['/v1/chat/completions', { model: 'gpt', messages: { role: 'user' } }, 'messages'],
      ['/v1/chat/completions', { model: 'gpt', messages: [] }, 'messages'],
      ['/v1/chat/completions', { model: 'gpt', messages: ['hi'] }, 'messages[0]'],
      ['/v1/chat/completions', { model: 'gpt', messages: [{ role: 7 }] }, 'messages[0].role'],
      ['/v1/chat/completions', { ...CHAT, stream: 'yes' }, 'stream'],
      ['/v1/chat/completions', { ...CHAT, stream: true, stream_options: [] }, 'stream_options'],
      ['/v1/chat/completions', [CHAT], null],
      ['/v1/chat/completions', 'a string', null],
      ['/v1/chat/completions', 12, null],
      ['/v1/chat/completions', null, null],
      ['/v1/embeddings', { model: 'gpt', input: { text: 'x' } }, 'input'],
      ['/v1/embeddings', { model: 'gpt', input: [] }, 'input'],
      ['/v1/embeddings', { model: ['gpt'], input: 'x' }, 'model'],
      ['/openai/deployments/az/chat/completions', { messages: 5 }, 'messages'],
    ];
    for (const [path, body, param] of cases) {
      const e = await expect4xx(path, JSON.stringify(body), 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(e.param, param, JSON.stringify(body));
    }
    assert.equal(upstream.requests.length, 0, 'nothing was forwarded');
    await assertAlive();
  });

  it('deeply nested JSON: unclosed is invalid JSON, closed is refused as too deep, on every route (no 500)', async () => {
    assert.equal((await expect4xx('/v1/chat/completions', '['.repeat(100_000), 400, 'unclosed')).code, 'invalid_json');
    assert.equal(
      (await expect4xx('/v1/chat/completions', `{"a":${'{"a":'.repeat(100_000)}`, 400, 'unclosed objects')).code,
      'invalid_json',
    );
    // Valid JSON 100k levels deep in a field the gateway passes through untouched.
    const chatDeep = `{"model":"gpt","messages":[{"role":"user","content":"x"}],"extra":${deep(100_000)}}`;
    assert.equal((await expect4xx('/v1/chat/completions', chatDeep, 400, 'deep chat')).code, 'invalid_json');
    const azureDeep = `{"messages":[{"role":"user","content":${deep(100_000)}}]}`;
    await expect4xx('/openai/deployments/az/chat/completions', azureDeep, 400, 'deep azure chat');
    await expect4xx('/v1/embeddings', `{"model":"gpt","input":"x","user":${deep(100_000)}}`, 400, 'deep embeddings');
    assert.equal(upstream.requests.length, 0, 'nothing was forwarded');
    // Key metadata: nesting is bounded (it is stored); a few levels are fine.
    const meta = await expect4xx('/key/generate', `{"metadata":{"a":${deep(100_000)}}}`, 400, 'deep metadata');
    assert.equal(meta.param, 'metadata');
    await expect4xx('/key/generate', `{"metadata":{"a":${deep(40)}}}`, 400, 'metadata 40 deep');
    const ok = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: `{"metadata":{"a":${deep(5)},"b":{"c":{"d":1}}}}`,
    });
    assert.equal(ok.status, 200, await ok.text());
    // Moderate nesting in pass-through fields still goes through.
    const fine = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: `{"model":"gpt","messages":[{"role":"user","content":"x"}],"extra":${deep(500)}}`,
    });
    assert.equal(fine.status, 200, await fine.text());
    assert.equal(upstream.requests.at(-1)?.rawBody.includes(deep(500)), true);
    upstream.reset();
    await assertAlive();
  });

  it('prototype poisoning keys are invalid JSON on every route, spelled plainly or with escapes; the words as text are fine', async () => {
    const msgs = '"messages":[{"role":"user","content":"x"}]';
    const poisoned = [
      `{"model":"gpt",${msgs},"__proto__":{"admin":true}}`,
      `{"model":"gpt",${msgs},"extra":{"\\u005f_proto__":{"admin":true}}}`,
      `{"model":"gpt",${msgs},"constructor":{"prototype":{"admin":true}}}`,
      `{"model":"gpt",${msgs},"x":[{"constr\\u0075ctor":{"prototype":{}}}]}`,
    ];
    for (const body of poisoned) {
      assert.equal((await expect4xx('/v1/chat/completions', body, 400, body)).code, 'invalid_json', body);
      await expect4xx('/key/generate', `{"metadata":${body}}`, 400, `key ${body}`);
    }
    assert.equal(upstream.requests.length, 0, 'nothing was forwarded');
    const words = `{"model":"gpt","messages":[{"role":"user","content":"__proto__ and constructor \\u00e9"}],"constructor":"x"}`;
    const fine = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: JSON_HEADERS, body: words });
    assert.equal(fine.status, 200, await fine.text());
    upstream.reset();
    await assertAlive();
  });

  it('strings PostgreSQL cannot store (NUL, unpaired surrogates) in key management bodies and queries: 400 naming the field', async () => {
    const cases: [string, string, string][] = [
      ['/key/generate', String.raw`{"key_alias":"a\u0000b"}`, 'key_alias'],
      ['/key/generate', String.raw`{"team_id":"\u0000"}`, 'team_id'],
      ['/key/generate', String.raw`{"user_id":"x\ud800"}`, 'user_id'],
      ['/key/generate', String.raw`{"models":["gpt","\udfff"]}`, 'models.1'],
      ['/key/generate', String.raw`{"metadata":{"k":"a\u0000b"}}`, 'metadata'],
      ['/key/generate', String.raw`{"metadata":{"a\u0000":1}}`, 'metadata'],
      ['/key/generate', String.raw`{"metadata":{"list":[{"x":"\ud83d"}]}}`, 'metadata'],
      ['/key/delete', String.raw`{"key_aliases":["\u0000"]}`, 'key_aliases.0'],
      ['/key/update', String.raw`{"key":"sk-\u0000abc","metadata":{}}`, 'key'],
      ['/key/block', String.raw`{"key":"\ud800"}`, 'key'],
      // Durations whose expiry no date type can hold (found by test/reliability/fuzz).
      ['/key/generate', '{"duration":"99999999y"}', 'duration'],
      ['/key/generate', '{"duration":"999999999mo"}', 'duration'],
      ['/key/generate', '{"duration":"999999999w"}', 'duration'],
    ];
    for (const [path, body, param] of cases) {
      const e = await expect4xx(path, body, 400, `${path} ${body}`);
      assert.equal(e.param, param, body);
    }
    for (const q of ['/key/info?key=%00', '/key/list?key_alias=%00', '/key/list?team_id=a%00']) {
      const r = await fetch(gw.url + q, { headers: JSON_HEADERS });
      assert.equal(r.status, 400, q);
      assertOpenAIError(await r.text(), q);
    }
    // Emoji (proper surrogate pairs) are fine.
    const ok = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ key_alias: 'team 🚀 été', metadata: { note: '😀' } }),
    });
    assert.equal(ok.status, 200, await ok.text());
    await assertAlive();
  });

  it('huge headers get a clean 431, many small headers are served, CR/LF/NUL in a header value a clean 400', async () => {
    const body = JSON.stringify(CHAT);
    const big = await rawRequest(
      gw.url,
      rawHttp(
        'POST',
        '/v1/chat/completions',
        [AUTH, 'Content-Type: application/json', `X-Big: ${'a'.repeat(20_000)}`],
        body,
      ),
    );
    assert.equal(big.status, 431);
    assert.equal(assertOpenAIError(big.body, '431').code, 'headers_too_large');
    assert.match(big.headers['content-type'], /application\/json/);
    const manyBig = await rawRequest(
      gw.url,
      rawHttp('GET', '/v1/models', [AUTH, ...Array.from({ length: 3000 }, (_, i) => `X-H${i}: v${i}`)]),
    );
    assert.equal(manyBig.status, 431);
    assertOpenAIError(manyBig.body, 'many headers over 16 KB');
    // 1500 headers under 16 KB: served normally.
    const many = await rawRequest(
      gw.url,
      rawHttp('GET', '/v1/models', [AUTH, ...Array.from({ length: 1500 }, (_, i) => `h${i}: 1`)]),
    );
    assert.equal(many.status, 200, many.body);
    for (const [name, header] of [
      ['CR', 'X-Request-Id: abc\rdef'],
      ['LF', 'X-Request-Id: abc\ndef: x'],
      ['CRLF injection', 'X-Request-Id: abc\r\n\r\nGET /key/list HTTP/1.1'],
      ['NUL', `Authorization: Bearer ${MASTER.slice(0, 6)}\u0000${MASTER.slice(6)}`],
      ['bad header name', 'Bad Name: x'],
    ]) {
      const r = await rawRequest(
        gw.url,
        rawHttp('POST', '/v1/chat/completions', [AUTH, 'Content-Type: application/json', header], body),
      );
      assert.equal(r.status, 400, `${name}: ${r.body}`);
      assert.equal(assertOpenAIError(r.body, name).type, 'invalid_request_error');
      assert.equal(r.headers.connection, 'close', name);
    }
    assert.equal(upstream.requests.length, 0, 'no malformed request was forwarded');
    await assertAlive();
  });

  it('invalid UTF-8: in the body a 400 (never a 500), in credential headers a 401, in the request id a generated one', async () => {
    const bad = Buffer.concat([
      Buffer.from('{"model":"gpt","messages":[{"role":"user","content":"'),
      Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
      Buffer.from('"}]}'),
    ]);
    const withLength = await rawRequest(
      gw.url,
      rawHttp('POST', '/v1/chat/completions', [AUTH, 'Content-Type: application/json'], bad),
    );
    assert.equal(withLength.status, 400, withLength.body);
    assertOpenAIError(withLength.body, 'invalid utf-8 body');
    const badKey = Buffer.concat([Buffer.from('{"key_alias":"'), Buffer.from([0xc0, 0xaf, 0xff]), Buffer.from('"}')]);
    const keyGen = await rawRequest(
      gw.url,
      rawHttp('POST', '/key/generate', [AUTH, 'Content-Type: application/json'], badKey),
    );
    assert.equal(keyGen.status, 400, keyGen.body);
    assertOpenAIError(keyGen.body, 'invalid utf-8 key body');
    // Chunked (no Content-Length): decoded with replacement characters; a valid request, or a 400, but never a 500.
    const chunked = Buffer.concat([
      Buffer.from(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\n${AUTH}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${bad.length.toString(16)}\r\n`,
      ),
      bad,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    const c = await rawRequest(gw.url, chunked);
    assert.ok(c.status === 200 || c.status === 400, `${c.status} ${c.body}`);
    for (const header of [
      `Authorization: Bearer sk-\xff\xfe${MASTER.slice(3)}`,
      `api-key: \xc3\x28${MASTER}`,
      'x-litellm-api-key: \x80\x81\x82',
    ]) {
      const r = await rawRequest(gw.url, rawHttp('GET', '/v1/models', [header]));
      assert.equal(r.status, 401, `${header}: ${r.body}`);
      assert.equal(assertOpenAIError(r.body, 'bad utf-8 credential').type, 'authentication_error');
    }
    const id = await rawRequest(gw.url, rawHttp('GET', '/v1/models', [AUTH, 'X-Request-Id: req-\xff\xfe']));
    assert.equal(id.status, 200);
    assert.match(id.headers['x-request-id'], /^[A-Za-z0-9._:-]{1,128}$/);
    upstream.reset();
    await assertAlive();
  });

  it('path traversal in the Azure deployment name never reaches an upstream path outside the deployment', async () => {
    const names = [
      '..%2F..%2Fx',
      '..%2f..%2fv1%2Fchat%2Fcompletions',
      '%2e%2e%2f%2e%2e%2fx',
      '%2e%2e',
      '..%5C..%5Cx',
      'az%00',
      '%00',
      'az%2F..%2F..%2Fdep2',
      'az%3Fapi-version%3D1%26x%3D',
      'az%23frag',
      'az%0d%0aX-Injected:%20y',
      '%252e%252e%252f',
      'az%20',
      `${'a'.repeat(2000)}`,
      '..;',
      'az%2e%2e',
    ];
    const seen: string[] = [];
    for (const name of names) {
      const r = await fetch(`${gw.url}/openai/deployments/${name}/chat/completions?api-version=2024-10-21`, {
        method: 'POST',
        headers: JSON_HEADERS,
        body: JSON.stringify({ messages: CHAT.messages }),
      });
      const text = await r.text();
      const label = name.slice(0, 40);
      assert.ok(r.status >= 400 && r.status < 500, `${label}: ${r.status} ${text.slice(0, 200)}`);
      assertOpenAIError(text, label);
      assert.ok(!text.includes('a'.repeat(100)), 'the path is not echoed back whole');
      seen.push(...upstream.requests.map((q) => q.path));
      upstream.reset();
    }
    // Literal dot segments in the URL (not encoded) are not normalised into another route either.
    for (const path of [
      '/openai/deployments/../../v1/chat/completions',
      '/openai/deployments/az/../../../key/generate',
      '/openai/deployments/./az/chat/completions',
    ]) {
      const r = await rawRequest(
        gw.url,
        rawHttp('POST', path, [AUTH, 'Content-Type: application/json'], JSON.stringify(CHAT)),
      );
      assert.equal(r.status, 404, `${path}: ${r.body}`);
      assertOpenAIError(r.body, path);
    }
    assert.deepEqual(seen, [], 'no hostile name reached the upstream');
    // Bad percent-encoding in the path: a 400 in the same shape.
    for (const path of [
      '/openai/deployments/%zz/chat/completions',
      '/v1/chat/completions%',
      '/openai/deployments/%E0%A4%A/chat/completions',
    ]) {
      const r = await rawRequest(
        gw.url,
        rawHttp('POST', path, [AUTH, 'Content-Type: application/json'], JSON.stringify(CHAT)),
      );
      assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status} ${r.body}`);
      assertOpenAIError(r.body, path);
    }
    // The well-formed call still goes to exactly the configured deployment's path.
    const good = await fetch(`${gw.url}/openai/deployments/az/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: JSON_HEADERS,
      body: JSON.stringify({ messages: CHAT.messages }),
    });
    assert.equal(good.status, 200);
    assert.deepEqual(
      upstream.requests.map((q) => q.path),
      ['/openai/deployments/dep1/chat/completions'],
    );
    upstream.reset();
    await assertAlive();
  });
});
