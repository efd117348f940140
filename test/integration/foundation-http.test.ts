import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { LINGER_BYTES } from '../../src/common/http/linger';
import { after, before, describe, it } from 'node:test';
import { readJson, startGateway, type InProcessGateway } from '../support/gateway';

const MASTER = 'sk-foundation-master-9f3a';
const UPSTREAM_KEY = 'upstream-secret-key-77c1';
const CONFIG = `general_settings:
  master_key: ${MASTER}
  max_request_size_mb: 0.01
model_list:
  - model_name: gpt
    litellm_params:
      model: openai/gpt-4o
      api_base: http://127.0.0.1:9/v1
      api_key: os.environ/FOUNDATION_UPSTREAM_KEY
`;

function assertOpenAIError(body: { error?: Record<string, unknown> }, status: number, type: string): void {
  assert.ok(body.error, JSON.stringify(body));
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.type, type, `status ${status}`);
  assert.equal(typeof body.error.message, 'string');
  assert.doesNotMatch(JSON.stringify(body), /\bat .+\.(js|ts):\d+/, 'no stack');
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(check(), `timed out waiting for ${what}`);
}

/** The access-log lines (parsed) of one request id. */
function accessLines(gw: InProcessGateway, reqId: string): Record<string, unknown>[] {
  return gw.logs.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request' && l.reqId === reqId);
}

describe('HTTP foundation: errors, request ids, access log, redaction', () => {
  let gw: InProcessGateway;
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);

  before(async () => {
    process.on('warning', onWarning);
    gw = await startGateway(CONFIG, { FOUNDATION_UPSTREAM_KEY: UPSTREAM_KEY, LOG_LEVEL: 'debug' });
  });
  after(async () => {
    process.off('warning', onWarning);
    await gw?.close();
  });

  it('starts without Fastify warnings (one error handler: Nest installs it, we wrap it)', () => {
    assert.deepEqual(
      warnings.filter((w) => /FSTWRN/.test(`${(w as { code?: string }).code} ${w.message}`)).map((w) => w.message),
      [],
    );
  });

  it('unknown routes answer 404 in the OpenAI shape for every method, without echoing the query', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const r = await fetch(`${gw.url}/no/such/route?key=${MASTER}`, { method });
      assert.equal(r.status, 404, method);
      const text = await r.text();
      assertOpenAIError(JSON.parse(text), 404, 'not_found_error');
      assert.equal(JSON.parse(text).error.message, `Unknown route: ${method} /no/such/route`);
      assert.doesNotMatch(text, new RegExp(MASTER));
    }
    const head = await fetch(`${gw.url}/no/such/route`, { method: 'HEAD' });
    assert.equal(head.status, 404);
  });

  it('a malformed or empty JSON body is a 400, not a 500', async () => {
    for (const body of ['{"model": "gpt",', '']) {
      const r = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER}` },
        body,
      });
      assert.equal(r.status, 400, JSON.stringify(body));
      const json = await readJson(r);
      assertOpenAIError(json, 400, 'invalid_request_error');
      assert.equal(json.error.code, 'invalid_json');
    }
  });

  it('a body over the configured limit is a 413', async () => {
    const big = JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'x'.repeat(20_000) }] });
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER}` },
      body: big,
    });
    assert.equal(r.status, 413);
    const json = await readJson(r);
    assertOpenAIError(json, 413, 'invalid_request_error');
    assert.equal(json.error.code, 'request_too_large');
  });

  it('a refused oversized body is read and dropped, not cut: the client gets its 413 and the connection serves the next request', async () => {
    // Headers first; the 413 is answered on Content-Length alone. The rest of the body is sent after the answer
    // came, then a second request on the same connection: without the lingering read the server has closed it.
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    const length = 200_000;
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer ${MASTER}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{"pad":"`,
    );
    await until(() => Buffer.concat(received).includes('request_too_large'), 'the 413');
    const first = Buffer.concat(received).toString();
    assert.match(first, /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(first, /connection: close/i);
    socket.write('x'.repeat(length - 8 - 2) + '"}');
    received.length = 0;
    socket.write(`GET /health/liveliness HTTP/1.1\r\nHost: g\r\n\r\n`);
    await until(() => /\r\n\r\n/.test(Buffer.concat(received).toString()), 'the second answer');
    assert.match(Buffer.concat(received).toString(), /^HTTP\/1\.1 200 /);
    socket.destroy();
  });

  it('a client that keeps sending a refused body past the lingering bound is cut', async () => {
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
    socket.on('data', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => undefined);
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer ${MASTER}\r\nContent-Type: application/json\r\nContent-Length: ${4 * LINGER_BYTES}\r\n\r\n`,
    );
    const chunk = Buffer.alloc(1024 * 1024, 0x78);
    let sent = 0;
    let open = true;
    void closed.then(() => (open = false));
    while (open && sent < 3 * LINGER_BYTES) {
      sent += chunk.length;
      if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r).once('close', r));
    }
    await closed;
    assert.ok(sent <= 2 * LINGER_BYTES, `the server read ${sent} bytes of a refused body before cutting`);
  });

  it('a content type other than JSON is a 415', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const r = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': type, authorization: `Bearer ${MASTER}` },
        body: 'model=gpt',
      });
      assert.equal(r.status, 415, type);
      const json = await readJson(r);
      assertOpenAIError(json, 415, 'invalid_request_error');
      assert.equal(json.error.code, 'unsupported_media_type');
    }
  });

  it('a multipart body on a route that takes no upload is a 415, not judged as its JSON body', async () => {
    const form = '--xx\r\nContent-Disposition: form-data; name="key_alias"\r\n\r\nx\r\n--xx--\r\n';
    for (const path of ['/key/generate', '/team/new', '/v1/chat/completions', '/openai/deployments/gpt/embeddings']) {
      const r = await fetch(gw.url + path, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=xx', authorization: `Bearer ${MASTER}` },
        body: form,
      });
      const json = await readJson(r);
      assert.equal(r.status, 415, `${path}: ${JSON.stringify(json)}`);
      assertOpenAIError(json, 415, 'invalid_request_error');
      assert.equal(json.error.code, 'unsupported_media_type');
    }
    // The upload routes still take it (and judge its fields).
    const upload = await fetch(`${gw.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xx', authorization: `Bearer ${MASTER}` },
      body: form,
    });
    assert.equal(upload.status, 400);
    assert.equal((await readJson(upload)).error.param, 'model');
  });

  it('a CONNECT request (this is no forward proxy) is a 405 in the OpenAI shape, not a connection closed unanswered', async () => {
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    const closed = new Promise((r) => socket.on('close', r));
    socket.write('CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n');
    await closed;
    const answer = Buffer.concat(received).toString();
    assert.match(answer, /^HTTP\/1\.1 405 /);
    const json = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    assertOpenAIError(json, 405, 'invalid_request_error');
    assert.equal(json.error.code, 'method_not_allowed');
    assert.equal((await fetch(`${gw.url}/health/liveliness`)).status, 200);
  });

  it('an HTTP/1.1 request without Host is a 400 in the OpenAI shape (Node alone answers an empty body); HTTP/1.0 needs none', async () => {
    const port = Number(new URL(gw.url).port);
    const raw = (text: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        const received: Buffer[] = [];
        socket.on('data', (c: Buffer) => received.push(c));
        socket.on('close', () => resolve(Buffer.concat(received).toString()));
        socket.write(text);
      });
    const noHost = await raw('GET /health/liveliness HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.match(noHost, /^HTTP\/1\.1 400 /);
    const json = JSON.parse(noHost.slice(noHost.indexOf('\r\n\r\n') + 4));
    assertOpenAIError(json, 400, 'invalid_request_error');
    assert.equal(json.error.code, 'missing_host');
    assert.match(await raw('GET /health/liveliness HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200 /);
  });

  it('x-request-id: a sane one is echoed, none or a hostile one gets a generated id', async () => {
    const given = await fetch(`${gw.url}/health/liveliness`, { headers: { 'x-request-id': 'client-req.42:a_b-c' } });
    assert.equal(given.headers.get('x-request-id'), 'client-req.42:a_b-c');
    const none1 = (await fetch(`${gw.url}/health/liveliness`)).headers.get('x-request-id');
    const none2 = (await fetch(`${gw.url}/health/liveliness`)).headers.get('x-request-id');
    assert.ok(none1 && none2 && none1 !== none2, `${none1} ${none2}`);
    for (const hostile of ['<script>alert(1)</script>', 'a b', 'x'.repeat(129), '{"level":"error"}']) {
      const id = (await fetch(`${gw.url}/health/liveliness`, { headers: { 'x-request-id': hostile } })).headers.get(
        'x-request-id',
      );
      assert.ok(id && id !== hostile && /^[A-Za-z0-9._:-]{1,128}$/.test(id), `${hostile} -> ${id}`);
    }
    // Errors carry it too.
    const err = await fetch(`${gw.url}/nope`, { headers: { 'x-request-id': 'err-req-1' } });
    assert.equal(err.headers.get('x-request-id'), 'err-req-1');
  });

  it('exactly one access-log line per request, with method, path (no query), status and duration', async () => {
    const cases: [string, RequestInit, number][] = [
      ['/health/liveliness', {}, 200],
      ['/no/such/route?token=abc', {}, 404],
      [
        '/v1/chat/completions',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER}` },
          body: '{bad',
        },
        400,
      ],
      // Without a credential the body is not even read: 401, with its access line like any other answer.
      ['/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' }, 401],
      ['/v1/models', {}, 401],
    ];
    for (const [i, [path, init, status]] of cases.entries()) {
      const reqId = `access-log-${i}`;
      const r = await fetch(gw.url + path, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), 'x-request-id': reqId },
      });
      await r.arrayBuffer();
      assert.equal(r.status, status, path);
      await new Promise((res) => setImmediate(res));
      const lines = accessLines(gw, reqId);
      assert.equal(lines.length, 1, `${path}: ${JSON.stringify(lines)}`);
      assert.equal(lines[0].status, status);
      assert.equal(lines[0].path, path.split('?')[0]);
      assert.equal(lines[0].method, init.method ?? 'GET');
      assert.equal(typeof lines[0].ms, 'number');
    }
  });

  it('credential headers and configured secrets never reach the logs', async () => {
    const jwtLike = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA';
    const wrongKey = 'sk-not-a-real-key-5d1e9a';
    const sends: Record<string, string>[] = [
      { authorization: `Bearer ${MASTER}` },
      { 'api-key': MASTER },
      { 'x-litellm-api-key': MASTER },
      { authorization: `Bearer ${wrongKey}` },
      { authorization: `Bearer ${jwtLike}` },
      { 'api-key': wrongKey },
    ];
    for (const headers of sends) {
      for (const path of ['/v1/models', '/key/list', '/v1/chat/completions', '/no/such/route']) {
        const init: RequestInit = path.endsWith('completions')
          ? {
              method: 'POST',
              headers: { ...headers, 'content-type': 'application/json' },
              body: JSON.stringify({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] }),
            }
          : { headers };
        await (await fetch(gw.url + path, init)).arrayBuffer();
      }
    }
    // A raw request with the secret in a header name-value pair Fastify may choke on.
    await new Promise<void>((resolve) => {
      const req = httpRequest(
        `${gw.url}/v1/models`,
        { headers: { authorization: `Basic ${MASTER}`, 'x-api-key': UPSTREAM_KEY } },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.end();
    });
    // Secrets a client put in the path or query: a JWT, and the master key percent-encoded.
    const encoded = encodeURIComponent(MASTER).replace(/-/g, '%2D');
    for (const path of [`/v1/models/${jwtLike}`, `/v1/models?token=${jwtLike}`, `/v1/models/${encoded}`])
      await (await fetch(gw.url + path, { headers: { authorization: `Bearer ${MASTER}` } })).arrayBuffer();
    await new Promise((res) => setTimeout(res, 50));
    const text = gw.logs.text();
    assert.ok(!text.includes(encoded), 'a percent-encoded secret reached the logs');
    assert.ok(
      gw.logs.lines.filter((l) => l.includes('"msg":"request"')).length >= sends.length * 4,
      'the requests were logged',
    );
    for (const secret of [MASTER, UPSTREAM_KEY, wrongKey, jwtLike, 'c2lnbmF0dXJlLXNlY3JldA']) {
      assert.ok(!text.includes(secret), `a secret reached the logs: ${secret.slice(0, 6)}...`);
    }
  });
});
