import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { fetchJwksDocument } from '../../src/auth/jwt/jwks-fetcher';

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
        Promise.all(Array.from({ length: 10 }, () => fetchJwksDocument(url, 400, cancel.signal).then(() => 'answered', (err: Error) => err.message))),
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
    const pending = fetchJwksDocument(url, 10_000, cancel.signal).then(() => 'answered', (err: Error) => err.message);
    setTimeout(() => cancel.abort(), 50);
    const started = performance.now();
    assert.equal(await pending, `GET ${url} failed: cancelled`);
    assert.ok(performance.now() - started < 1_000);
  });
});
