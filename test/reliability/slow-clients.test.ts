import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import { rawRequest } from '../support/raw-http';
import { startStaticJwks, type StaticJwks } from '../support/static-jwks';
import { chatChunks } from '../support/upstream';

const MASTER = 'sk-slow-clients-master-0001';
const HEADERS_TIMEOUT_S = 2;
const BODY_TIMEOUT_S = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const yaml = (up: string) => `
model_list:
  - model_name: gpt-slow
    litellm_params: { model: openai/gpt-slow, api_base: ${up}, api_key: sk-upstream-slow-clients }
general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
`;

const CHAT = JSON.stringify({ model: 'gpt-slow', messages: [{ role: 'user', content: 'hi' }] });

function open(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => resolve(s));
    s.once('error', reject);
  });
}

/** A request's head with `Content-Length: length` and an optional credential, as raw text. */
const head = (credential: string | null, length: number) =>
  `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n` +
  `${credential === null ? '' : `Authorization: Bearer ${credential}\r\n`}Content-Length: ${length}\r\n\r\n`;

/** Resolves with the first bytes the server sends on `s` (or '' when it closes without any). */
function firstAnswer(s: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve(text), timeoutMs);
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\r\n\r\n')) {
        clearTimeout(timer);
        resolve(text);
      }
    });
    s.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    s.on('error', () => undefined);
  });
}

describe('slow and numerous clients', () => {
  let p: ProxySetup;
  let idp: StaticJwks;
  let other: StaticJwks;
  before(async () => {
    idp = await startStaticJwks();
    other = await startStaticJwks({ issuer: idp.issuer }); // same claims, keys the gateway does not know
    p = await startProxy({
      database: 'gw_slow',
      yaml,
      apiKey: MASTER,
      env: {
        JWT_PUBLIC_KEY_URL: idp.url,
        JWT_AUDIENCE: idp.audience,
        REQUEST_HEADERS_TIMEOUT_SECONDS: String(HEADERS_TIMEOUT_S),
        REQUEST_BODY_TIMEOUT_SECONDS: String(BODY_TIMEOUT_S),
      },
    });
  });
  after(async () => {
    await p?.close();
    await idp?.close();
    await other?.close();
  });

  it('a bad credential with a bad body is 401, for every credential kind; a good one with a bad body is 400', async () => {
    const bad = '{"model": "gpt-slow", "messages": [';
    const cases: [string | null, number][] = [
      [null, 401],
      ['not-a-credential', 401],
      ['sk-no-such-virtual-key-0001', 401],
      [other.token('team-x'), 401],
      [MASTER, 400],
      [idp.token('team-x'), 400],
    ];
    for (const [credential, status] of cases) {
      const r = await rawRequest(p.gw.url, head(credential, Buffer.byteLength(bad)) + bad);
      assert.equal(r.status, status, `${credential?.slice(0, 12)}: ${r.body}`);
    }
  });

  it('the credential is verified before the body is read: the 401 comes while the body is still unsent', async () => {
    for (const credential of [null, 'sk-no-such-virtual-key-0002', other.token('team-x'), 'sk-slow-clients-wrong']) {
      const s = await open(p.gw.url);
      s.write(head(credential, 1000));
      const answer = await firstAnswer(s, 1_500);
      s.destroy();
      assert.match(answer, /^HTTP\/1\.1 401 /, `${credential?.slice(0, 12)}: ${JSON.stringify(answer.slice(0, 80))}`);
    }
  });

  /** One normal call's latency in ms. */
  const normalCall = async () => {
    const t = performance.now();
    const r = await fetch(`${p.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: CHAT,
    });
    await r.arrayBuffer();
    assert.equal(r.status, 200);
    return performance.now() - t;
  };
  const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];

  it('slow-loris connections are closed within the timeouts while a normal client is served at full speed', async () => {
    // The same client's latency without the attack, on this machine now: the attack must not move it much.
    const quiet: number[] = [];
    for (let i = 0; i < 30; i++) quiet.push(await normalCall());
    const started = Date.now();
    const sockets: { s: Socket; kind: string; closedAt?: number }[] = [];
    const kinds: [string, () => string][] = [
      ['bogus credential, trickled body', () => head('sk-bogus-loris-0001', 1000) + '{'],
      ['no credential, trickled body', () => head(null, 1000) + '{'],
      ['valid credential, trickled body', () => head(MASTER, 1000) + '{'],
      ['trickled headers', () => 'POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n'],
    ];
    for (let i = 0; i < 150; i++) {
      const [kind, first] = kinds[i % kinds.length];
      const s = await open(p.gw.url);
      const entry: (typeof sockets)[number] = { s, kind };
      s.on('close', () => (entry.closedAt = Date.now()));
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      s.write(first());
      sockets.push(entry);
    }
    // One byte every 2 s on every connection still open: a body byte, or a header line's byte.
    const trickle = setInterval(() => {
      for (const e of sockets)
        if (e.closedAt === undefined && !e.s.destroyed) e.s.write(e.kind.startsWith('trickled h') ? 'X' : ' ');
    }, 2_000);
    const latencies: number[] = [];
    try {
      const until = started + (BODY_TIMEOUT_S + 4) * 1000;
      while (Date.now() < until) {
        latencies.push(await normalCall());
        await sleep(50);
      }
    } finally {
      clearInterval(trickle);
    }
    const open_ = sockets.filter((e) => e.closedAt === undefined);
    for (const e of sockets) e.s.destroy();
    assert.equal(open_.length, 0, `still open after ${BODY_TIMEOUT_S + 4} s: ${open_.map((e) => e.kind).join('; ')}`);
    const bound = (BODY_TIMEOUT_S + 3) * 1000;
    const late = sockets.filter((e) => e.closedAt! - started > bound);
    assert.equal(late.length, 0, `closed later than ${bound} ms: ${late.map((e) => e.kind).join('; ')}`);
    assert.ok(latencies.length >= 20, `${latencies.length} normal calls`);
    const bar = Math.max(250, 3 * p95(quiet));
    assert.ok(
      p95(latencies) < bar,
      `normal client p95 ${p95(latencies).toFixed(1)} ms during the run (bar ${bar.toFixed(0)} ms)`,
    );
  });

  it('timeouts bound what the client sends, not the answer: a 5 MB body and a stream longer than them both pass', async () => {
    const big = JSON.stringify({
      model: 'gpt-slow',
      messages: [{ role: 'user', content: 'x'.repeat(5 * 1024 * 1024) }],
    });
    const r = await fetch(`${p.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: big,
    });
    assert.equal(r.status, 200, await r.clone().text());
    await r.arrayBuffer();
    const words = Array.from({ length: 12 }, (_, i) => `w${i}`);
    p.up.respondWith({ sse: chatChunks(words), delayMs: 500 }); // ~6.5 s, past the 4 s body timeout
    try {
      const t = Date.now();
      const s = await fetch(`${p.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-slow', messages: [{ role: 'user', content: 'hi' }], stream: true }),
      });
      const text = await s.text();
      assert.ok(Date.now() - t > BODY_TIMEOUT_S * 1000, 'the stream outlived the body timeout');
      assert.match(text, /data: \[DONE\]/);
      for (const w of words) assert.ok(text.includes(w), `chunk ${w} missing`);
    } finally {
      p.up.reset();
    }
  });
});

describe('bounded connections and bodies in flight', () => {
  let p: ProxySetup;
  before(async () => {
    p = await startProxy({
      database: 'gw_caps',
      yaml,
      apiKey: MASTER,
      env: {
        JWT_PUBLIC_KEY_URL: 'http://127.0.0.1:9/jwks',
        MAX_CONNECTIONS: '20',
        MAX_REQUEST_BODIES_IN_FLIGHT: '2',
      },
    });
  });
  after(() => p?.close());

  const connections = () =>
    new Promise<number>((r) => p.gw.app.getHttpServer().getConnections((_e: unknown, n: number) => r(n)));

  it('past MAX_CONNECTIONS a new connection is closed unanswered; a freed place is usable again', async () => {
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) held.push(await open(p.gw.url));
      const deadline = Date.now() + 5_000;
      while ((await connections()) < 20 && Date.now() < deadline) await sleep(20);
      assert.equal(await connections(), 20);
      const extra = await open(p.gw.url);
      extra.on('error', () => undefined);
      extra.write('GET /health/liveliness HTTP/1.1\r\nHost: gw\r\n\r\n');
      assert.equal(await firstAnswer(extra, 2_000), '', 'the 21st connection was answered');
      held.pop()!.destroy();
      while ((await connections()) >= 20 && Date.now() < deadline + 5_000) await sleep(20);
      const r = await rawRequest(p.gw.url, 'GET /health/liveliness HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
      assert.equal(r.status, 200);
    } finally {
      for (const s of held) s.destroy();
    }
  });

  it('past MAX_REQUEST_BODIES_IN_FLIGHT a request is refused 503 before its body is read; a finished body frees its slot', async () => {
    const slow = [await open(p.gw.url), await open(p.gw.url)];
    const answers = slow.map((s) => firstAnswer(s, 10_000));
    try {
      for (const s of slow) s.write(head(MASTER, Buffer.byteLength(CHAT)) + CHAT.slice(0, 10));
      await sleep(200);
      const refused = await rawRequest(p.gw.url, head(MASTER, Buffer.byteLength(CHAT)) + CHAT);
      assert.equal(refused.status, 503, refused.body);
      assert.equal(JSON.parse(refused.body).error.code, 'server_busy');
      assert.equal(refused.headers['retry-after'], '1');
      slow[0].write(CHAT.slice(10));
      assert.match(await answers[0], /^HTTP\/1\.1 200 /);
      const served = await rawRequest(p.gw.url, head(MASTER, Buffer.byteLength(CHAT)) + CHAT);
      assert.equal(served.status, 200, served.body);
    } finally {
      for (const s of slow) s.destroy();
    }
  });
});

describe('body slots and refused bodies, while credentials are checked slowly', () => {
  const JWKS_DELAY_MS = 2_000;
  let p: ProxySetup;
  let idp: StaticJwks;
  before(async () => {
    // The gateway's first JWKS fetch answers late: every JWT sent meanwhile waits on it.
    idp = await startStaticJwks({ delayMs: JWKS_DELAY_MS });
    p = await startProxy({
      database: 'gw_slots',
      yaml,
      apiKey: MASTER,
      env: {
        JWT_PUBLIC_KEY_URL: idp.url,
        JWT_AUDIENCE: idp.audience,
        MAX_REQUEST_BODIES_IN_FLIGHT: '3',
      },
    });
  });
  after(async () => {
    await p?.close();
    await idp?.close();
  });

  it('clients that hang up while their credential is checked leave no body slot taken', async () => {
    assert.equal(idp.answeredAt, 0, 'the JWKS answered before the test could send');
    const aborted: Socket[] = [];
    for (let i = 0; i < 6; i++) {
      const s = await open(p.gw.url);
      s.on('error', () => undefined);
      s.write(head(idp.token(`team-abort-${i}`), Buffer.byteLength(CHAT)) + CHAT.slice(0, 10));
      aborted.push(s);
    }
    await sleep(200);
    for (const s of aborted) s.destroy();
    while (idp.answeredAt === 0) await sleep(50);
    await sleep(300);
    const served = await rawRequest(p.gw.url, head(MASTER, Buffer.byteLength(CHAT)) + CHAT);
    assert.equal(served.status, 200, served.body);
  });

  it('an anonymous request with a large body sent slowly is cut soon after its 401', async () => {
    const s = await open(p.gw.url);
    let closedAt = 0;
    s.on('close', () => (closedAt = Date.now()));
    s.on('error', () => undefined);
    s.write(head(null, 10 * 1024 * 1024) + '{');
    const trickle = setInterval(() => s.destroyed || s.write('x'.repeat(1024)), 100);
    try {
      const answer = await firstAnswer(s, 2_000);
      const answeredAt = Date.now();
      assert.match(answer, /^HTTP\/1\.1 401 /);
      while (closedAt === 0 && Date.now() - answeredAt < 6_000) await sleep(50);
      assert.ok(closedAt !== 0 && closedAt - answeredAt < 2_000, `closed ${closedAt - answeredAt} ms after the 401`);
    } finally {
      clearInterval(trickle);
      s.destroy();
    }
  });
});
