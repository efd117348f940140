import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT } from '../support/gateway';
import { assertError, managementApi } from '../support/management-api';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-admin-json-bodies-01';

/** Every POST route an admin JWT may call (the admin routes), from the reviewed route-permission snapshot. */
function adminPostRoutes(): string[] {
  const table = readFileSync(join(ROOT, 'test', 'snapshots', 'route-permissions.txt'), 'utf8').split('\n');
  const header = table.find((l) => l.startsWith('METHOD '))!.split(/\s+/);
  const admin = header.indexOf('admin-jwt');
  return table.map((l) => l.split(/\s+/)).flatMap((c) => (c[0] === 'POST' && c[admin] === 'yes' ? [c[1]] : []));
}

/** LiteLLM declares these bodies `Optional[...] = None` (or reads none, /key/health): a JSON null is no body there. */
const NULL_TAKEN = new Set(['/key/regenerate', '/key/:key/regenerate', '/global/spend/end_users', '/key/health']);

/**
 * An admin route's body is a JSON object, as LiteLLM's pydantic body models take: `null` (which read as an empty body
 * created an object of a generated id), an array, a string or a number is a 400 in the OpenAI error shape.
 */
describe('admin routes: a body that is not a JSON object is refused', () => {
  let setup: ProxyOnDatabase;
  const { api, ok } = managementApi(() => setup.gw.url, MASTER);
  const send = async (path: string, text: string) => {
    const res = await fetch(setup.gw.url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: text,
    });
    return { status: res.status, body: (await res.json()) as any, headers: res.headers };
  };

  before(async () => {
    setup = await startProxy({
      database: 'gw_admin_json_bodies',
      apiKey: MASTER,
      yaml: (upstream) => `model_list:
  - model_name: gpt-a
    litellm_params: { model: openai/gpt-a, api_base: ${upstream}, api_key: sk-up-bodies }
general_settings:
  master_key: ${MASTER}
`,
    });
  });
  after(async () => {
    await setup?.close();
  });

  it('null, [], "x" and 1 are 400 on every admin POST route (null only where LiteLLM refuses it)', async () => {
    const routes = adminPostRoutes();
    assert.ok(routes.includes('/team/new') && routes.includes('/user/new') && routes.length > 25, routes.join(' '));
    const made = await ok('POST', '/key/generate', {});
    for (const route of routes) {
      const path = route.replace(':key', made.key);
      for (const text of ['[]', '"x"', '1', ...(NULL_TAKEN.has(route) ? [] : ['null'])]) {
        assertError(await send(path, text), 400, { message: /request body must be a JSON object/ });
      }
    }
  });

  it('nothing is created by a refused null body; {} still creates as before', async () => {
    const teams = (await ok('GET', '/team/list')).length;
    const users = (await ok('GET', '/user/list')).total;
    assert.ok(typeof teams === 'number' && typeof users === 'number');
    for (const path of ['/team/new', '/user/new', '/customer/new', '/budget/new', '/key/generate']) {
      assertError(await send(path, 'null'), 400, { message: /JSON object/ });
    }
    assert.equal((await ok('GET', '/team/list')).length, teams);
    assert.equal((await ok('GET', '/user/list')).total, users);
    assert.ok((await ok('POST', '/team/new', {})).team_id);
    assert.ok((await ok('POST', '/user/new', {})).user_id);
  });

  it('a null body where LiteLLM takes one (Optional) is no body', async () => {
    const made = await ok('POST', '/key/generate', {});
    const regenerated = await send(`/key/${made.key}/regenerate`, 'null');
    assert.equal(regenerated.status, 200, JSON.stringify(regenerated.body));
    assert.notEqual(regenerated.body.key, made.key);
    assert.equal((await send('/global/spend/end_users', 'null')).status, 200);
    assertError(await api('POST', '/key/regenerate', null), 400, { param: 'key' });
  });
});
