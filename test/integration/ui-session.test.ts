import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readJson, startGateway, type InProcessGateway } from '../support/gateway';

const MASTER = 'sk-ui-session-master-01';

/** /ui/session describes the caller the guard let in, with the routes its policy allows, so the page hides the rest. */
describe('ui: /ui/session', () => {
  let gw: InProcessGateway;
  const session = async (token?: string) =>
    fetch(`${gw.url}/ui/session`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  before(async () => {
    gw = await startGateway(`general_settings:\n  master_key: ${MASTER}\n`);
  });
  after(async () => gw?.close());

  it('the master key: every management route', async () => {
    const res = await session(MASTER);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const who = await readJson(res);
    assert.equal(who.role, 'master');
    assert.ok(who.routes.includes('/key/generate'));
    assert.ok(who.routes.includes('/team/list'));
  });

  it("a virtual key: its own policy's routes (info, not management), each as the API answers it", async () => {
    const made = await readJson(
      await fetch(`${gw.url}/key/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: '{}',
      }),
    );
    const who = await readJson(await session(made.key));
    assert.equal(who.role, 'virtual_key');
    assert.ok(who.routes.includes('/key/info'));
    assert.ok(!who.routes.includes('/key/generate'));
    const generate = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${made.key}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(generate.status, 403);
  });

  it('no credential or a made-up one: 401', async () => {
    assert.equal((await session()).status, 401);
    assert.equal((await session('sk-made-up-key-0000')).status, 401);
  });
});
