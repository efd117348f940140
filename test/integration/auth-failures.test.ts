import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { InProcessGateway } from '../support/gateway';
import { managementApi } from '../support/management-api';
import { startProxy, type ProxySetup } from '../support/proxy-setup';

const MASTER = 'sk-master-auth-failures-1';
const MAX = 3;

const config = (extra = '') => `
general_settings:
  master_key: ${MASTER}
  max_auth_failures_per_minute: ${MAX}
${extra}`;

/** GET /v1/models with `key`, from the loopback address `localAddress`, with an X-Forwarded-For when given. */
function call(
  url: string,
  key: string,
  opts: { from?: string; forwardedFor?: string } = {},
): Promise<{ status: number; code?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/models`,
      {
        localAddress: opts.from ?? '127.0.0.1',
        headers: {
          authorization: `Bearer ${key}`,
          ...(opts.forwardedFor ? { 'x-forwarded-for': opts.forwardedFor } : {}),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          const code =
            res.statusCode === 200 ? undefined : (JSON.parse(body) as { error: { code: string } }).error.code;
          resolve({ status: res.statusCode!, code });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('failed credentials per client address: only unknown or invalid credentials count', () => {
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;
  const { ok } = managementApi(() => gw.url, MASTER);

  before(async () => {
    setup = await startProxy({ database: 'gw_auth_failures', apiKey: MASTER, yaml: config() });
    ({ gw } = setup);
  });
  after(() => setup?.close());

  it('a blocked or expired key is 401 with its reason as often as it is sent, and never pushes the client to 429', async () => {
    const blocked = await ok('POST', '/key/generate', {});
    await ok('POST', '/key/block', { key: blocked.token });
    const expiring = await ok('POST', '/key/generate', { duration: '1s' });
    await new Promise((r) => setTimeout(r, 1_100));
    const from = '127.0.0.21';
    for (let i = 0; i < MAX * 3; i++) {
      assert.deepEqual(await call(gw.url, blocked.key, { from }), { status: 401, code: 'key_blocked' });
      assert.deepEqual(await call(gw.url, expiring.key, { from }), { status: 401, code: 'key_expired' });
    }
    for (let i = 0; i < MAX; i++)
      assert.deepEqual(await call(gw.url, `sk-made-up-${i}`, { from }), { status: 401, code: 'invalid_api_key' });
    assert.equal((await call(gw.url, 'sk-made-up-again', { from })).status, 429);
  });

  it('without trust_proxy, X-Forwarded-For is not believed: a client cannot escape the limit by varying it', async () => {
    const from = '127.0.0.22';
    for (let i = 0; i < MAX; i++)
      assert.equal((await call(gw.url, `sk-guess-${i}`, { from, forwardedFor: `203.0.113.${i}` })).status, 401);
    const next = await call(gw.url, 'sk-guess-next', { from, forwardedFor: '203.0.113.99' });
    assert.deepEqual(next, { status: 429, code: 'too_many_auth_failures' });
  });
});

describe('failed credentials behind a trusted proxy (general_settings.trust_proxy)', () => {
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;

  before(async () => {
    setup = await startProxy({
      database: 'gw_auth_failures_proxy',
      apiKey: MASTER,
      yaml: config('  trust_proxy: 127.0.0.31'),
    });
    ({ gw } = setup);
  });
  after(() => setup?.close());

  it("the trusted proxy's X-Forwarded-For names the client: one client's failures do not refuse the others", async () => {
    const proxy = '127.0.0.31';
    for (let i = 0; i < MAX; i++)
      assert.equal((await call(gw.url, `sk-bad-${i}`, { from: proxy, forwardedFor: '203.0.113.7' })).status, 401);
    assert.equal((await call(gw.url, 'sk-bad-next', { from: proxy, forwardedFor: '203.0.113.7' })).status, 429);
    const other = await call(gw.url, 'sk-typo', { from: proxy, forwardedFor: '203.0.113.8' });
    assert.deepEqual(other, { status: 401, code: 'invalid_api_key' }, 'another client behind the same proxy');
  });

  it('a peer that is not the trusted proxy is counted by its own address, whatever X-Forwarded-For it sends', async () => {
    const from = '127.0.0.32';
    for (let i = 0; i < MAX; i++)
      assert.equal((await call(gw.url, `sk-spoof-${i}`, { from, forwardedFor: `198.51.100.${i}` })).status, 401);
    assert.equal((await call(gw.url, 'sk-spoof-next', { from, forwardedFor: '198.51.100.50' })).status, 429);
  });
});
