import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, managementApi } from '../support/management-api';
import { oneModelYaml, startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-key-user-role-0001';

/**
 * A virtual key acts with its user's `user_role`, as in LiteLLM: a proxy_admin's key may do what an admin may, a
 * viewer's read everything and change nothing, an internal user's manage only its user's keys; a key of a user with
 * no role is a plain key. The key's own limits still bind its model calls, and a role change applies to the next call.
 */
describe("virtual keys act with their user's user_role", () => {
  let setup: ProxyOnDatabase;
  const { api, ok } = managementApi(() => setup.gw.url, MASTER);
  const keys: Record<string, { key: string; token: string }> = {};
  const chat = (key: string) =>
    api('POST', '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }, key);

  /** A user of this role (none: no role) and a key of it, from /user/new as LiteLLM answers one. */
  async function userWithKey(id: string, role?: string): Promise<void> {
    const made = await ok('POST', '/user/new', { user_id: id, ...(role ? { user_role: role } : {}) });
    if (!role) await ok('POST', '/user/update', { user_id: id, user_role: null });
    keys[id] = { key: made.key, token: made.token };
  }

  before(async () => {
    setup = await startProxy({
      database: 'gw_key_user_role',
      apiKey: MASTER,
      yaml: (upstream) => oneModelYaml(MASTER, upstream, { input_cost_per_token: 0.001, output_cost_per_token: 0.001 }),
    });
    await ok('POST', '/team/new', { team_id: 'kr-team' });
    await userWithKey('kr-admin', 'proxy_admin');
    await userWithKey('kr-viewer', 'proxy_admin_viewer');
    await userWithKey('kr-internal', 'internal_user');
    await userWithKey('kr-iviewer', 'internal_user_viewer');
    await userWithKey('kr-none');
    await ok('POST', '/user/new', { user_id: 'kr-other', user_role: 'internal_user' });
  });
  after(async () => {
    await setup?.close();
  });

  /** Status of each sample route for this key: reads, then changes. */
  async function statuses(id: string): Promise<Record<string, number>> {
    const k = keys[id].key;
    const out: Record<string, number> = {};
    out.chat = (await chat(k)).status;
    out.teamList = (await api('GET', '/team/list', undefined, k)).status;
    out.userList = (await api('GET', '/user/list', undefined, k)).status;
    out.keyList = (await api('GET', '/key/list', undefined, k)).status;
    out.ownUserInfo = (await api('GET', `/user/info?user_id=${id}`, undefined, k)).status;
    out.spendLogs = (await api('GET', '/spend/logs', undefined, k)).status;
    out.teamNew = (await api('POST', '/team/new', { team_alias: `by-${id}` }, k)).status;
    out.keyGenerate = (await api('POST', '/key/generate', {}, k)).status;
    return out;
  }

  it('answers each role its routes, and a key of a user without a role as a plain key', async () => {
    const internalUser = {
      chat: 200,
      teamList: 403,
      userList: 403,
      keyList: 200,
      ownUserInfo: 200,
      spendLogs: 200,
      teamNew: 403,
      keyGenerate: 200,
    };
    const expect: Record<string, Record<string, number>> = {
      'kr-admin': {
        chat: 200,
        teamList: 200,
        userList: 200,
        keyList: 200,
        ownUserInfo: 200,
        spendLogs: 200,
        teamNew: 200,
        keyGenerate: 200,
      },
      'kr-viewer': {
        chat: 403,
        teamList: 200,
        userList: 200,
        keyList: 200,
        ownUserInfo: 200,
        spendLogs: 200,
        teamNew: 403,
        keyGenerate: 403,
      },
      'kr-internal': internalUser,
      // An internal user viewer reads what an internal user reads, and creates nothing.
      'kr-iviewer': { ...internalUser, keyGenerate: 403 },
      'kr-none': {
        chat: 200,
        teamList: 403,
        userList: 403,
        keyList: 403,
        ownUserInfo: 200,
        spendLogs: 403,
        teamNew: 403,
        keyGenerate: 403,
      },
    };
    for (const [id, want] of Object.entries(expect)) assert.deepEqual(await statuses(id), want, id);
    const refused = await api('GET', '/team/list', undefined, keys['kr-none'].key);
    assertError(refused, 403, { message: /not allowed for role "virtual_key"/ });
  });

  it('a viewer key reads other users and keys but changes nothing', async () => {
    const k = keys['kr-viewer'].key;
    assert.equal((await api('GET', '/user/info?user_id=kr-internal', undefined, k)).status, 200);
    assert.equal((await api('GET', `/key/info?key=${keys['kr-internal'].token}`, undefined, k)).status, 200);
    for (const [path, body] of [
      ['/user/update', { user_id: 'kr-viewer', user_role: 'proxy_admin' }],
      ['/key/update', { key: keys['kr-viewer'].token, max_budget: 100 }],
      ['/key/delete', { keys: [keys['kr-internal'].token] }],
      ['/key/block', { key: keys['kr-internal'].token }],
      ['/team/update', { team_id: 'kr-team', max_budget: 1 }],
    ] as const) {
      assert.equal((await api('POST', path, body, k)).status, 403, path);
    }
    const user = await ok('GET', '/user/info?user_id=kr-viewer');
    assert.equal(user.user_info.user_role, 'proxy_admin_viewer');
  });

  it("an internal user's key manages only its user's keys, never for another user nor its own limits", async () => {
    const k = keys['kr-internal'].key;
    const mine = await ok('POST', '/key/generate', { key_alias: 'kr-mine' }, k);
    assert.equal(mine.user_id, 'kr-internal');
    assertError(await api('POST', '/key/generate', { user_id: 'kr-other' }, k), 403, { param: 'user_id' });
    const others = await ok('POST', '/key/generate', { user_id: 'kr-other' });
    // Its own settings: refused; its user's other key: allowed; another user's key: unknown to it.
    assertError(await api('POST', '/key/update', { key: keys['kr-internal'].token, max_budget: 99 }, k), 403);
    await ok('POST', '/key/update', { key: mine.token, metadata: { a: 1 } }, k);
    assert.equal((await api('POST', '/key/update', { key: others.token, metadata: { a: 1 } }, k)).status, 404);
    assert.equal((await api('GET', `/key/info?key=${others.token}`, undefined, k)).status, 404);
    assert.equal((await api('GET', `/key/info?key=${mine.token}`, undefined, k)).status, 200);
    assert.equal((await api('GET', '/user/info?user_id=kr-other', undefined, k)).status, 403);
    assert.equal((await api('POST', '/user/update', { user_id: 'kr-internal', max_budget: 1e6 }, k)).status, 403);
    const listed = await ok('GET', '/key/list', undefined, k);
    const tokens = (listed.keys as unknown[]).map((x) => (typeof x === 'string' ? x : (x as { token: string }).token));
    assert.ok(tokens.includes(mine.token) && tokens.includes(keys['kr-internal'].token), JSON.stringify(listed));
    assert.ok(!tokens.includes(others.token));
    assert.equal((await api('POST', '/key/delete', { keys: [others.token] }, k)).status, 404);
    await ok('POST', '/key/delete', { keys: [mine.token] }, k);
  });

  it("a role key's own budget and rpm limit still refuse its model calls", async () => {
    const budget = await ok('POST', '/key/generate', { user_id: 'kr-admin', max_budget: 0.000001 });
    const rpm = await ok('POST', '/key/generate', { user_id: 'kr-admin', rpm_limit: 1 });
    assert.equal((await chat(budget.key)).status, 200);
    let refused = await chat(budget.key);
    for (let i = 0; i < 20 && refused.status === 200; i++) refused = await chat(budget.key);
    assertError(refused, 400, { code: 'budget_exceeded' });
    assert.equal((await chat(rpm.key)).status, 200);
    assert.equal((await chat(rpm.key)).status, 429);
    // Its role still lets it manage (it is an admin's key), but its own limits bind it.
    assert.equal((await api('GET', '/team/list', undefined, budget.key)).status, 200);
  });

  it("a change of the user's role, or its removal, applies to the key's next calls", async () => {
    await userWithKey('kr-demoted', 'proxy_admin');
    const k = keys['kr-demoted'].key;
    assert.equal((await api('GET', '/team/list', undefined, k)).status, 200);
    await ok('POST', '/user/update', { user_id: 'kr-demoted', user_role: 'internal_user' });
    assertError(await api('GET', '/team/list', undefined, k), 403, { message: /role "internal_user"/ });
    assert.equal((await api('POST', '/key/generate', {}, k)).status, 200);
    await ok('POST', '/user/update', { user_id: 'kr-demoted', user_role: 'internal_user_viewer' });
    assert.equal((await api('POST', '/key/generate', {}, k)).status, 403);
    await ok('POST', '/user/update', { user_id: 'kr-demoted', user_role: 'proxy_admin_viewer' });
    assert.equal((await api('GET', '/team/list', undefined, k)).status, 200);
    // A user whose role goes (null) leaves a plain key; a deleted user takes its keys with it.
    await ok('POST', '/user/update', { user_id: 'kr-demoted', user_role: null });
    assertError(await api('GET', '/team/list', undefined, k), 403, { message: /role "virtual_key"/ });
    assert.equal((await chat(k)).status, 200);
    await ok('POST', '/user/delete', { user_ids: ['kr-demoted'] });
    assertError(await api('GET', '/team/list', undefined, k), 401);
  });

  it("a key's own allowed_routes still bound what its role allows", async () => {
    const narrow = await ok('POST', '/key/generate', { user_id: 'kr-admin', allowed_routes: ['/team/list'] });
    assert.equal((await api('GET', '/team/list', undefined, narrow.key)).status, 200);
    assert.equal((await api('GET', '/user/list', undefined, narrow.key)).status, 403);
    assert.equal((await chat(narrow.key)).status, 403);
    const wide = await ok('POST', '/key/generate', { user_id: 'kr-viewer', allowed_routes: ['management_routes'] });
    assert.equal((await api('GET', '/team/list', undefined, wide.key)).status, 200);
    assert.equal((await api('POST', '/team/new', { team_alias: 'by-wide' }, wide.key)).status, 403);
  });
});
