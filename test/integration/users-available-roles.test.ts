import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, managementApi } from '../support/management-api';
import { oneModelYaml, startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-key-available-roles-01';

/** LiteLLM's `/user/available_roles`, which its admin UI reads to offer roles when creating or editing a user. */
describe('GET /user/available_roles', () => {
  let setup: ProxyOnDatabase;
  const { api, ok } = managementApi(() => setup.gw.url, MASTER);

  before(async () => {
    setup = await startProxy({
      database: 'gw_available_roles',
      apiKey: MASTER,
      yaml: (upstream) => oneModelYaml(MASTER, upstream),
    });
  });
  after(async () => {
    await setup?.close();
  });

  it("answers LiteLLM's four assignable roles, each with its description and UI label", async () => {
    const roles = await ok('GET', '/user/available_roles');
    assert.deepEqual(Object.keys(roles), [
      'proxy_admin',
      'proxy_admin_viewer',
      'internal_user',
      'internal_user_viewer',
    ]);
    for (const role of Object.values(roles))
      assert.deepEqual(Object.keys(role as object).sort(), ['description', 'ui_label']);
    assert.deepEqual(roles.proxy_admin, {
      description: 'admin over litellm proxy, has all permissions',
      ui_label: 'Admin (All Permissions)',
    });
    assert.deepEqual(roles.proxy_admin_viewer, {
      description: 'view all keys, view all spend',
      ui_label: 'Admin (View Only)',
    });
    assert.deepEqual(roles.internal_user, {
      description: 'view/create/delete their own keys, view their own spend',
      ui_label: 'Internal User (Create/Delete/View)',
    });
    assert.deepEqual(roles.internal_user_viewer, {
      description: 'view their own keys, view their own spend',
      ui_label: 'Internal User (View Only)',
    });
  });

  it('is an admin read: a viewer may call it, an internal user and a plain key may not', async () => {
    const viewer = await ok('POST', '/user/new', { user_id: 'roles-viewer', user_role: 'proxy_admin_viewer' });
    assert.equal(Object.keys(await ok('GET', '/user/available_roles', undefined, viewer.key)).length, 4);
    const internal = await ok('POST', '/user/new', { user_id: 'roles-internal', user_role: 'internal_user' });
    assertError(await api('GET', '/user/available_roles', undefined, internal.key), 403, { code: 'route_not_allowed' });
    const { key } = await ok('POST', '/key/generate', {});
    assertError(await api('GET', '/user/available_roles', undefined, key), 403, { code: 'route_not_allowed' });
    const res = await fetch(`${setup.gw.url}/user/available_roles`);
    assert.equal(res.status, 401);
  });
});
