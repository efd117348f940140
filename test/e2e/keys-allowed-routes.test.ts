import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AzureOpenAI } from 'openai';
import { readJson, spawnGateway, writeConfig, type SpawnedGateway } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';
import { startUpstream, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-master-allowed-routes-e2e-1';

/**
 * A virtual key whose `allowed_routes` name one Azure deployment's path may call that deployment through that path,
 * and nothing else: not another deployment, not the plain route with any model (the production build as a process,
 * PostgreSQL, a recording upstream).
 */
describe('allowed_routes naming an Azure deployment, end to end', () => {
  let up: FakeUpstream;
  let gw: SpawnedGateway;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;

  async function post(path: string, key: string, body: object) {
    const res = await fetch(gw.url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await readJson(res) };
  }
  const chat = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hi' }] });
  async function keyWith(allowed_routes: string[]): Promise<string> {
    const r = await post('/key/generate', MASTER, { allowed_routes });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.key;
  }
  /** Calls `path` with `key`: the status, and the model the upstream was asked for (none when it was not called). */
  async function call(key: string, path: string, body: object) {
    const sent = up.requests.length;
    const r = await post(path, key, body);
    const upstream = up.requests.slice(sent).map((q) => q.body?.model as string);
    if (r.status === 403) assert.equal(r.body.error?.code, 'route_not_allowed', JSON.stringify(r.body));
    return { status: r.status, upstream };
  }

  before(async () => {
    up = await startUpstream();
    db = await createTestDatabase('gw_allowed_routes');
    const group = (name: string) => `
  - model_name: ${name}
    litellm_params:
      model: openai/${name}-upstream
      api_base: ${up.url}/v1
      api_key: sk-upstream-not-a-real-key`;
    const file = writeConfig(`model_list:${group('gpt-4o')}${group('other')}
general_settings:
  master_key: ${MASTER}
`);
    gw = await spawnGateway(['--config', file], { DATABASE_URL: db.url });
  });
  after(async () => {
    await gw?.stop('SIGKILL');
    await up?.close();
    await db?.drop();
  });

  it('an Azure deployment path allows that deployment only, and the plain route not at all', async () => {
    const key = await keyWith(['/openai/deployments/gpt-4o/chat/completions']);
    const azure = new AzureOpenAI({
      apiKey: key,
      endpoint: gw.url,
      apiVersion: '2024-10-21',
      deployment: 'gpt-4o',
      maxRetries: 0,
    });
    const ok = await azure.chat.completions.create(chat('ignored'));
    assert.equal(ok.choices[0].message.content, 'Hello from upstream');
    assert.equal(up.requests.at(-1)?.body.model, 'gpt-4o-upstream');
    // The deployment percent-encoded is the same deployment.
    assert.deepEqual(await call(key, '/openai/deployments/gpt%2D4o/chat/completions', chat('x')), {
      status: 200,
      upstream: ['gpt-4o-upstream'],
    });
    for (const [path, model] of [
      ['/openai/deployments/other/chat/completions', 'gpt-4o'],
      ['/openai/deployments/GPT-4o/chat/completions', 'gpt-4o'],
      ['/chat/completions', 'other'],
      ['/v1/chat/completions', 'other'],
      ['/openai/chat/completions', 'other'],
      ['/chat/completions', 'gpt-4o'],
      ['/v1/chat/completions', 'gpt-4o'],
    ]) {
      assert.deepEqual(await call(key, path, chat(model)), { status: 403, upstream: [] }, `${path} ${model}`);
    }
    // Another operation of the same deployment is another route.
    assert.deepEqual(await call(key, '/openai/deployments/gpt-4o/embeddings', { model: 'x', input: 'a' }), {
      status: 403,
      upstream: [],
    });
  });

  it('a deployment wildcard allows every route of that deployment; the parameter form every deployment', async () => {
    const wide = await keyWith(['/openai/deployments/gpt-4o/*']);
    assert.equal((await call(wide, '/openai/deployments/gpt-4o/chat/completions', chat('x'))).status, 200);
    assert.equal((await call(wide, '/openai/deployments/gpt-4o/embeddings', { model: 'x', input: 'a' })).status, 200);
    assert.equal((await call(wide, '/openai/deployments/other/chat/completions', chat('x'))).status, 403);
    assert.equal((await call(wide, '/chat/completions', chat('gpt-4o'))).status, 403);
    const any = await keyWith(['/openai/deployments/{model}/chat/completions']);
    assert.deepEqual(await call(any, '/openai/deployments/other/chat/completions', chat('x')), {
      status: 200,
      upstream: ['other-upstream'],
    });
    assert.equal((await call(any, '/chat/completions', chat('gpt-4o'))).status, 200);
  });
});
