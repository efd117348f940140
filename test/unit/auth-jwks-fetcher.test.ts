import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { discoverIssuer, fetchJwksDocument } from '../../src/auth/jwt/jwks-fetcher';

/** A full garbage collection on demand (the test runner does not start node with --expose-gc). */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('fetchJwksDocument deadline (a provider that never answers)', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer((req) => req.resume()); // accepts the request, never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('gives up after the timeout even when garbage collections run while it waits', async () => {
    // Node 20 holds AbortSignal.timeout() only weakly inside AbortSignal.any(): a collection during the wait used to
    // lose the timer and leave the fetch (and every request waiting on it) hung for minutes.
    const collecting = setInterval(gc, 20);
    let watchdog: NodeJS.Timeout | undefined;
    const started = performance.now();
    const cancel = new AbortController();
    try {
      const outcomes = await Promise.race([
        Promise.all(
          Array.from({ length: 10 }, () =>
            fetchJwksDocument(url, 400, cancel.signal).then(
              () => 'answered',
              (err: Error) => err.message,
            ),
          ),
        ),
        new Promise<string[]>((r) => (watchdog = setTimeout(() => r(['still waiting after 5 s']), 5_000))),
      ]);
      for (const o of outcomes) assert.equal(o, `GET ${url} failed: timed out`);
      assert.ok(performance.now() - started < 2_000, `took ${Math.round(performance.now() - started)} ms`);
    } finally {
      clearInterval(collecting);
      clearTimeout(watchdog);
    }
  });

  it('stops at once when cancelled (gateway shutdown), saying so', async () => {
    const cancel = new AbortController();
    const pending = fetchJwksDocument(url, 10_000, cancel.signal).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    setTimeout(() => cancel.abort(), 50);
    const started = performance.now();
    assert.equal(await pending, `GET ${url} failed: cancelled`);
    assert.ok(performance.now() - started < 1_000);
  });
});

describe('fetchJwksDocument against a provider that answers', () => {
  let server: Server;
  let base: string;
  const JWKS = { keys: [{ kty: 'RSA', kid: 'k1', n: 'AQAB', e: 'AQAB' }] };
  const big = `{"keys":[],"pad":"${'x'.repeat(1024 * 1024)}"}`;
  before(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      const json = (body: string, status = 200) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      if (path === '/jwks') return json(JSON.stringify(JWKS));
      if (path === '/.well-known/openid-configuration')
        return json(JSON.stringify({ issuer: base, jwks_uri: `${base}/moved` }));
      if (path === '/moved') return res.writeHead(302, { location: 'jwks' }).end(); // relative, as a proxy may send it
      if (path === '/error') return json('{"error":"down"}', 503);
      if (path === '/html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
      if (path === '/array') return json('[1,2]');
      if (path === '/neither') return json('{"issuer":"x"}');
      if (path === '/big-chunked') return res.writeHead(200, { 'content-type': 'application/json' }).end(big);
      if (path === '/big-declared')
        return res
          .writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(big)) })
          .end(big);
      json('{}', 404);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const failure = (path: string) =>
    fetchJwksDocument(`${base}${path}`, 5_000).then(
      () => 'answered',
      (err: Error) => err.message,
    );

  it('reads a JWKS, and one behind a discovery document whose jwks_uri redirects', async () => {
    assert.deepEqual(await fetchJwksDocument(`${base}/jwks`, 5_000), JWKS);
    // The discovery document's issuer comes with its keys: the keys verify only that issuer's tokens.
    assert.deepEqual(await fetchJwksDocument(`${base}/.well-known/openid-configuration`, 5_000), {
      ...JWKS,
      issuer: base,
    });
  });

  it('finds the issuer of a plain JWKS URL from the discovery document that names it, else none', async () => {
    assert.equal(await discoverIssuer(`${base}/moved`, 5_000), base);
    assert.equal(await discoverIssuer(`${base}/jwks`, 5_000), undefined, 'no discovery document names this URL');
  });

  it('refuses error statuses, non-JSON, other documents and documents over 1 MB, naming the URL and the problem', async () => {
    assert.equal(await failure('/error'), `GET ${base}/error answered HTTP 503`);
    assert.equal(await failure('/html'), `GET ${base}/html: not JSON`);
    assert.equal(await failure('/array'), `GET ${base}/array: not a JSON object`);
    assert.equal(
      await failure('/neither'),
      `${base}/neither is neither a JWKS ("keys") nor an OpenID discovery document ("jwks_uri")`,
    );
    assert.equal(await failure('/big-chunked'), `GET ${base}/big-chunked: document too large`);
    assert.equal(await failure('/big-declared'), `GET ${base}/big-declared: document too large`);
  });

  it('names a refused connection by its code', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks`;
    await new Promise((r) => closed.close(r));
    assert.equal(
      await fetchJwksDocument(url, 5_000).then(
        () => 'answered',
        (err: Error) => err.message,
      ),
      `GET ${url} failed: ECONNREFUSED`,
    );
  });
});
