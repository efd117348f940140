import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { spyKeyQueries } from '../support/key-calls';
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

  it('/v2/key/info: each key as /key/info answers it, keys not found left out, the keys echoed as sent', async () => {
    const a = await ok('POST', '/key/generate', { key_alias: 'v2-a', max_budget: 5, metadata: { owner: 'a' } });
    const b = await ok('POST', '/key/generate', { key_alias: 'v2-b', models: ['m'] });
    const sent = [a.key, b.token, 'sk-v2-no-such-key-000000', a.token];
    const r = await ok('POST', '/v2/key/info', { keys: sent });
    assert.deepEqual(Object.keys(r).sort(), ['info', 'key']);
    assert.deepEqual(r.key, sent);
    assert.equal(r.info.length, 2, 'a key named twice is answered once, an unknown one not at all');
    assert.deepEqual(r.info[0], (await ok('GET', `/key/info?key=${a.token}`)).info);
    assert.deepEqual(r.info[1], (await ok('GET', `/key/info?key=${b.token}`)).info);
    assert.equal(r.info[0].token, a.token);
    assert.equal(r.info[0].key_alias, 'v2-a');
    assert.equal(r.info[0].max_budget, 5);
    assert.deepEqual(r.info[0].metadata, { owner: 'a' });
    assert.deepEqual(r.info[1].models, ['m']);
    const none = await ok('POST', '/v2/key/info', { keys: ['sk-v2-no-such-key-000001'] });
    assert.deepEqual(none, { key: ['sk-v2-no-such-key-000001'], info: [] });
  });

  it('/v2/key/info: the keys asked for are read together, not one statement each', async () => {
    const a = await ok('POST', '/key/generate', { key_alias: 'v2-many' });
    const asked = [a.token, ...Array.from({ length: 200 }, (_, i) => `sk-v2-many-missing-${i}`)];
    const spy = spyKeyQueries();
    let r;
    try {
      r = await ok('POST', '/v2/key/info', { keys: asked });
    } finally {
      spy.stop();
    }
    assert.deepEqual(
      r.info.map((k: { token: string }) => k.token),
      [a.token],
    );
    assert.ok(spy.count() <= 4, `${spy.count()} statements on virtual_keys for 201 keys: ${spy.texts.join(' | ')}`);
  });

  it("/v2/key/info: a caller sees only the keys /key/info shows it, never another caller's", async () => {
    const a = await ok('POST', '/key/generate', { key_alias: 'v2-scope-a' });
    const b = await ok('POST', '/key/generate', { key_alias: 'v2-scope-b' });
    // A plain virtual key reads only itself.
    const own = await ok('POST', '/v2/key/info', { keys: [a.key, b.key, b.token] }, a.key);
    assert.deepEqual(
      own.info.map((i: { token: string }) => i.token),
      [a.token],
    );
    // A key of an internal user reads its user's keys, not another user's.
    const user = await ok('POST', '/user/new', { user_id: 'v2-internal', user_role: 'internal_user' });
    const second = await ok('POST', '/key/generate', { user_id: 'v2-internal' });
    const other = await ok('POST', '/user/new', { user_id: 'v2-other', user_role: 'internal_user' });
    const mine = await ok('POST', '/v2/key/info', { keys: [second.token, other.token, b.token] }, user.key);
    assert.deepEqual(
      mine.info.map((i: { token: string }) => i.token),
      [second.token],
    );
    assert.equal(mine.info[0].user_id, 'v2-internal');
  });

  it('/v2/key/info: a bad body is a 400 in the OpenAI error shape', async () => {
    assertError(await api('POST', '/v2/key/info', {}), 400, { param: 'keys' });
    assertError(await api('POST', '/v2/key/info', { keys: [] }), 400, { param: 'keys' });
    assertError(await api('POST', '/v2/key/info', { keys: 'sk-one' }), 400, { param: 'keys' });
    assertError(await api('POST', '/v2/key/info', { keys: [42] }), 400, { param: 'keys.0' });
    assertError(await api('POST', '/v2/key/info', { keys: ['sk-x'], team_id: 't' }), 400, {
      code: 'unknown_field',
      param: 'team_id',
    });
    assertError(await api('POST', '/v2/key/info', ['sk-x']), 400, { message: /JSON object/ });
    const doc: any = await (await fetch(`${setup.gw.url}/openapi.json`)).json();
    const schema = doc.paths['/v2/key/info'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(schema.required, ['keys'], 'the body is described in /openapi.json');
    // LiteLLM's body model has key_aliases, which its route does not read.
    const r = await ok('POST', '/v2/key/info', { keys: ['sk-v2-no-such-key-000002'], key_aliases: ['x'] });
    assert.deepEqual(r.info, []);
  });
});
