import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, managementApi } from '../support/management-api';
import { oneModelYaml, startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-key-health-info-0001';

/** LiteLLM's `/key/health` and `/v2/key/info`, as its scripts and admin UI call them. */
describe('/key/health and /v2/key/info', () => {
  let setup: ProxyOnDatabase;
  const { api, ok } = managementApi(() => setup.gw.url, MASTER);

  before(async () => {
    setup = await startProxy({
      database: 'gw_key_health_info',
      apiKey: MASTER,
      yaml: (upstream) => oneModelYaml(MASTER, upstream),
    });
  });
  after(async () => {
    await setup?.close();
  });

  it('/key/health: a key without logging callbacks of its own is healthy, as LiteLLM answers', async () => {
    const { key } = await ok('POST', '/key/generate', { key_alias: 'health-plain' });
    const own = await ok('POST', '/key/health', undefined, key);
    assert.deepEqual(own, { key: 'healthy', logging_callbacks: null });
    // A body (LiteLLM's clients send none, some send {}) changes nothing; the master key carries no key metadata.
    assert.deepEqual(await ok('POST', '/key/health', {}, key), { key: 'healthy', logging_callbacks: null });
    assert.deepEqual(await ok('POST', '/key/health'), { key: 'healthy', logging_callbacks: null });
  });

  it('/key/health: a key naming logging callbacks is unhealthy, since the gateway sends it no logs', async () => {
    const { key } = await ok('POST', '/key/generate', {
      metadata: { logging: [{ callback_name: 'langfuse', callback_type: 'success', callback_vars: {} }] },
    });
    const r = await ok('POST', '/key/health', undefined, key);
    assert.deepEqual(Object.keys(r).sort(), ['key', 'logging_callbacks']);
    assert.equal(r.key, 'unhealthy');
    assert.deepEqual(Object.keys(r.logging_callbacks).sort(), ['callbacks', 'details', 'status']);
    assert.deepEqual(r.logging_callbacks.callbacks, ['langfuse']);
    assert.equal(r.logging_callbacks.status, 'unhealthy');
    assert.match(r.logging_callbacks.details, /not implemented.*langfuse/);
  });

  it('/key/health: refused without a credential or with a blocked key', async () => {
    const res = await fetch(`${setup.gw.url}/key/health`, { method: 'POST' });
    assert.equal(res.status, 401);
    const { key, token } = await ok('POST', '/key/generate', {});
    await ok('POST', '/key/block', { key: token });
    assertError(await api('POST', '/key/health', undefined, key), 401);
  });
});
