import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InProcessGateway } from '../support/gateway';
import { assertError, managementApi } from '../support/management-api';
import { auditActions, sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-teams-routes-0001';

describe('teams, users and customers: LiteLLM routes and fields (PostgreSQL)', () => {
  let gw: InProcessGateway;
  let db: TestDatabase;
  let setup: ProxyOnDatabase | undefined;
  const { api, ok } = managementApi(() => gw.url, MASTER);
  const actions = (objectId: string) => auditActions(db.url, objectId);

  before(async () => {
    setup = await startProxy({
      database: 'gw_teams_routes',
      apiKey: MASTER,
      yaml: `general_settings:\n  master_key: ${MASTER}\n`,
    });
    ({ gw, db } = setup);
  });
  after(() => setup?.close());

  it('/team/new stores every field, answers LiteLLM_TeamTable fields, computes budget_reset_at', async () => {
    const before = Date.now();
    const t = await ok('POST', '/team/new', {
      team_id: 'team-full',
      team_alias: 'Full team',
      organization_id: 'org-1',
      models: ['gpt-a', 'gpt-b'],
      max_budget: 10,
      soft_budget: 5,
      budget_duration: '30d',
      rpm_limit: 100,
      tpm_limit: 1000,
      max_parallel_requests: 3,
      blocked: false,
      metadata: { cost_center: 'cc-7' },
      members_with_roles: [{ role: 'admin', user_id: 'alice' }, { user_email: 'bob@example.com' }],
      tags: ['prod'],
      model_aliases: { fast: 'gpt-a' },
      team_member_budget: 2,
    });
    assert.equal(t.team_id, 'team-full');
    assert.equal(t.team_alias, 'Full team');
    assert.equal(t.organization_id, 'org-1');
    assert.deepEqual(t.models, ['gpt-a', 'gpt-b']);
    assert.equal(t.max_budget, 10);
    assert.equal(t.soft_budget, 5);
    assert.equal(t.budget_duration, '30d');
    const reset = Date.parse(t.budget_reset_at);
    assert.ok(reset >= before + 30 * 86_400_000 - 1000 && reset <= Date.now() + 30 * 86_400_000 + 1000);
    assert.equal(t.rpm_limit, 100);
    assert.equal(t.tpm_limit, 1000);
    assert.equal(t.max_parallel_requests, 3);
    assert.equal(t.blocked, false);
    assert.equal(t.spend, 0);
    // team_member_budget makes the team's default member budget, linked from metadata as in LiteLLM.
    assert.deepEqual(t.metadata, { cost_center: 'cc-7', team_member_budget_id: t.metadata.team_member_budget_id });
    assert.equal(typeof t.metadata.team_member_budget_id, 'string');
    assert.deepEqual(t.members, ['alice']);
    assert.equal(t.members_with_roles.length, 2);
    assert.deepEqual(t.tags, ['prod'], 'a field without effect is stored and returned as sent');
    assert.deepEqual(t.model_aliases, { fast: 'gpt-a' });
    assert.equal(t.team_member_budget, 2);
    assert.deepEqual(await actions('team-full'), ['team.new']);
    // A member named by id is a stored user (teams-edges.test.ts); not one of those the /user/* tests below count.
    assert.deepEqual((await ok('GET', '/user/info?user_id=alice')).user_info.teams, ['team-full']);
    await ok('POST', '/user/delete', { user_ids: ['alice'] });
  });

  it('/team/new generates a team_id, refuses a taken one, and names the bad field of a bad body', async () => {
    const t = await ok('POST', '/team/new', {});
    assert.match(t.team_id, /^[0-9a-f-]{36}$/);
    assert.equal(t.budget_reset_at, null);
    assertError(await api('POST', '/team/new', { team_id: t.team_id }), 400, { code: 'team_exists', param: 'team_id' });
    assertError(await api('POST', '/team/new', { team_name: 'x' }), 400, { param: 'team_name', code: 'unknown_field' });
    assertError(await api('POST', '/team/new', { rpm_limit: 'many' }), 400, { param: 'rpm_limit' });
    assertError(await api('POST', '/team/new', { max_budget: -1 }), 400, { param: 'max_budget' });
    assertError(await api('POST', '/team/new', { budget_duration: '3 weeks' }), 400, { param: 'budget_duration' });
    assertError(await api('POST', '/team/new', { models: 'gpt-a' }), 400, { param: 'models' });
    assertError(await api('POST', '/team/new', { members_with_roles: [{ role: 'owner', user_id: 'x' }] }), 400, {
      param: 'members_with_roles.0.role',
    });
  });

  it('/team/info answers team_info with spend and the team keys; unknown team 404', async () => {
    await ok('POST', '/team/new', { team_id: 'team-info', max_budget: 3 });
    const key = await ok('POST', '/key/generate', { team_id: 'team-info' });
    const info = await ok('GET', '/team/info?team_id=team-info');
    assert.equal(info.team_id, 'team-info');
    assert.equal(info.team_info.max_budget, 3);
    assert.equal(info.team_info.spend, 0);
    assert.deepEqual(
      info.keys.map((k: { token: string }) => k.token),
      [key.token],
    );
    assert.deepEqual(info.team_memberships, []);
    // Every field of LiteLLM's TeamInfoResponseObjectTeamTable (LiteLLM_TeamTable and the member budget).
    for (const field of [
      ...['team_alias', 'team_id', 'organization_id', 'admins', 'members', 'members_with_roles'],
      ...['team_member_permissions', 'metadata', 'tpm_limit', 'rpm_limit', 'max_budget', 'soft_budget'],
      ...['budget_duration', 'models', 'blocked', 'router_settings', 'access_group_ids', 'spend'],
      ...['max_parallel_requests', 'budget_reset_at', 'model_id', 'litellm_model_table', 'object_permission'],
      ...['updated_at', 'created_at', 'object_permission_id', 'team_member_budget_table'],
    ])
      assert.ok(field in info.team_info, `team_info.${field}`);
    assertError(await api('GET', '/team/info?team_id=nope'), 404, { code: 'team_not_found' });
    assertError(await api('GET', '/team/info?team=x'), 400, { param: 'team' });
  });

  it('/team/update changes only the fields given; /team/block and /team/unblock; each change audited', async () => {
    await ok('POST', '/team/new', { team_id: 'team-upd', rpm_limit: 5, tags: ['a'] });
    const u = await ok('POST', '/team/update', { team_id: 'team-upd', max_budget: 7, tags: ['b'], rpm_limit: null });
    assert.equal(u.team_id, 'team-upd');
    assert.equal(u.data.max_budget, 7);
    assert.equal(u.data.rpm_limit, null);
    assert.deepEqual(u.data.tags, ['b']);
    assert.equal((await ok('POST', '/team/block', { team_id: 'team-upd' })).blocked, true);
    assert.equal((await ok('GET', '/team/info?team_id=team-upd')).team_info.blocked, true);
    assert.equal((await ok('POST', '/team/unblock', { team_id: 'team-upd' })).blocked, false);
    assertError(await api('POST', '/team/update', { team_id: 'ghost', max_budget: 1 }), 404);
    assertError(await api('POST', '/team/update', { max_budget: 1 }), 400, { param: 'team_id' });
    assertError(await api('POST', '/team/block', { team_id: 'ghost' }), 404);
    assert.deepEqual(await actions('team-upd'), ['team.new', 'team.update', 'team.block', 'team.unblock']);
  });

  it('/team/member_add and /team/member_delete keep members_with_roles and members', async () => {
    await ok('POST', '/team/new', { team_id: 'team-mem' });
    const added = await ok('POST', '/team/member_add', {
      team_id: 'team-mem',
      member: [
        { role: 'user', user_id: 'u-1' },
        { role: 'admin', user_id: 'u-2' },
      ],
    });
    assert.deepEqual(added.members.sort(), ['u-1', 'u-2']);
    assert.equal(added.updated_users.length, 2);
    const again = await ok('POST', '/team/member_add', {
      team_id: 'team-mem',
      member: { role: 'admin', user_id: 'u-1' },
    });
    assert.equal(again.members_with_roles.length, 2, 'adding a member again replaces it');
    const u1 = await ok('GET', '/user/info?user_id=u-1');
    assert.deepEqual(u1.user_info.teams, ['team-mem'], 'a member not stored is created as a user of the team');
    assert.equal(u1.user_info.user_role, 'internal_user');
    assert.deepEqual(
      u1.teams.map((t: { team_id: string }) => t.team_id),
      ['team-mem'],
    );
    await ok('POST', '/user/new', { user_id: 'u-3', teams: ['elsewhere'], auto_create_key: false });
    await ok('POST', '/team/member_add', { team_id: 'team-mem', member: { role: 'user', user_id: 'u-3' } });
    assert.deepEqual((await ok('GET', '/user/info?user_id=u-3')).user_info.teams, ['elsewhere', 'team-mem']);
    await ok('POST', '/team/member_add', { team_id: 'team-mem', member: { user_email: 'mail-only@example.com' } });
    const byMail = await sql<{ user_id: string; teams: string[] }>(
      db.url,
      "SELECT user_id, teams FROM users WHERE user_email = 'mail-only@example.com'",
    );
    assert.equal(byMail.length, 1, 'a member named by email alone is a user of that email');
    assert.deepEqual(byMail[0].teams, ['team-mem']);
    const left = await ok('POST', '/team/member_delete', { team_id: 'team-mem', user_id: 'u-1' });
    // The member named by email alone is listed with its user's id (as LiteLLM lists it).
    assert.deepEqual(left.members.sort(), ['u-2', 'u-3', byMail[0].user_id].sort());
    assert.deepEqual((await ok('GET', '/user/info?user_id=u-1')).user_info.teams, [], 'and leaves it on member_delete');
    assertError(await api('POST', '/team/member_delete', { team_id: 'team-mem' }), 400);
    assertError(await api('POST', '/team/member_add', { team_id: 'team-mem', member: { role: 'user' } }), 400, {
      param: 'member',
    });
    assert.deepEqual(await actions('team-mem'), [
      'team.new',
      'team.member_add',
      'team.member_add',
      'team.member_add',
      'team.member_add',
      'team.member_delete',
    ]);
    // The users this test made are not those the /user/* tests below count.
    await ok('POST', '/user/delete', { user_ids: ['u-1', 'u-2', 'u-3', byMail[0].user_id] });
  });

  it('/team/member_delete by email takes the keys there of the user of that email, listed without its id', async () => {
    await ok('POST', '/user/new', { user_id: 'mail-leaver', user_email: 'leaver@example.com', auto_create_key: false });
    await ok('POST', '/team/new', {
      team_id: 'team-mail-keys',
      members_with_roles: [{ role: 'user', user_email: 'leaver@example.com' }],
    });
    const key = await ok('POST', '/key/generate', { team_id: 'team-mail-keys', user_id: 'mail-leaver' });
    const other = await ok('POST', '/key/generate', { user_id: 'mail-leaver' });
    await ok('POST', '/team/member_delete', { team_id: 'team-mail-keys', user_email: 'leaver@example.com' });
    assertError(await api('GET', `/key/info?key=${key.token}`), 404);
    await ok('GET', `/key/info?key=${other.token}`);
    await ok('POST', '/user/delete', { user_ids: ['mail-leaver'] });
  });

  it('/team/member_delete by email ends the membership of the entry it matches, whatever email its user row holds', async () => {
    await ok('POST', '/user/new', { user_id: 'mail-id', auto_create_key: false });
    await ok('POST', '/team/new', { team_id: 'team-mail-id' });
    await ok('POST', '/team/member_add', {
      team_id: 'team-mail-id',
      member: { role: 'user', user_id: 'mail-id', user_email: 'listed@example.com' },
      max_budget_in_team: 1,
    });
    const before = await ok('GET', '/team/info?team_id=team-mail-id');
    assert.deepEqual(
      before.team_memberships.map((m: { user_id: string }) => m.user_id),
      ['mail-id'],
    );
    await ok('POST', '/team/member_delete', { team_id: 'team-mail-id', user_email: 'listed@example.com' });
    const after = await ok('GET', '/team/info?team_id=team-mail-id');
    assert.deepEqual(after.team_memberships, [], 'its membership and member budget go with the entry');
    assert.deepEqual((await ok('GET', '/user/info?user_id=mail-id')).user_info.teams, []);
    await ok('POST', '/user/delete', { user_ids: ['mail-id'] });
  });

  it('/team/list lists teams, filtered by member user_id or organization_id', async () => {
    await ok('POST', '/team/new', {
      team_id: 'team-l1',
      organization_id: 'org-l',
      members_with_roles: [{ user_id: 'lu' }],
    });
    await ok('POST', '/team/new', { team_id: 'team-l2', organization_id: 'org-l' });
    const key = await ok('POST', '/key/generate', { team_id: 'team-l1' });
    const all = await ok('GET', '/team/list');
    const l1 = all.find((t: { team_id: string }) => t.team_id === 'team-l1');
    assert.deepEqual(
      l1.keys.map((k: { token: string }) => k.token),
      [key.token],
      "LiteLLM's TeamListResponseObject: the team's keys",
    );
    assert.deepEqual(l1.team_memberships, []);
    assert.deepEqual(all.find((t: { team_id: string }) => t.team_id === 'team-l2').keys, []);
    assert.deepEqual(
      (await ok('GET', '/team/list?user_id=lu')).map((t: { team_id: string }) => t.team_id),
      ['team-l1'],
    );
    assert.deepEqual(
      (await ok('GET', '/team/list?organization_id=org-l')).map((t: { team_id: string }) => t.team_id),
      ['team-l1', 'team-l2'],
    );
    await ok('POST', '/user/delete', { user_ids: ['lu'] });
  });

  it('/team/delete removes the teams and their keys, all or nothing', async () => {
    await ok('POST', '/team/new', { team_id: 'team-del' });
    const key = await ok('POST', '/key/generate', { team_id: 'team-del' });
    assertError(await api('POST', '/team/delete', { team_ids: ['team-del', 'ghost'] }), 404);
    assert.equal((await api('GET', '/team/info?team_id=team-del')).status, 200);
    const d = await ok('POST', '/team/delete', { team_ids: ['team-del'] });
    assert.deepEqual(d.deleted_teams, ['team-del']);
    assert.deepEqual(d.deleted_keys, [key.token]);
    assertError(await api('GET', '/team/info?team_id=team-del'), 404);
    assert.equal((await api('GET', '/models', undefined, key.key)).status, 401, 'the deleted team key is refused');
    assertError(await api('POST', '/team/delete', {}), 400, { param: 'team_ids' });
    assert.deepEqual(await actions('team-del'), ['team.new', 'team.delete']);
  });

  it('/user/new stores the fields and creates a working key unless auto_create_key is false', async () => {
    const u = await ok('POST', '/user/new', {
      user_id: 'user-1',
      user_email: 'one@example.com',
      user_alias: 'One',
      user_role: 'internal_user',
      teams: ['team-full'],
      models: ['gpt-a'],
      max_budget: 4,
      budget_duration: '7d',
      rpm_limit: 9,
      tpm_limit: 99,
      max_parallel_requests: 2,
      metadata: { a: 1 },
      model_max_budget: { 'gpt-a': 1 },
      key_alias: 'user-1-key',
    });
    assert.equal(u.user_id, 'user-1');
    assert.equal(u.user_email, 'one@example.com');
    assert.equal(u.user_role, 'internal_user');
    assert.deepEqual(u.teams, ['team-full']);
    const team = await ok('GET', '/team/info?team_id=team-full');
    assert.ok(
      team.team_info.members_with_roles.some(
        (m: { role: string; user_id: string }) => m.role === 'user' && m.user_id === 'user-1',
      ),
      'a new user is added to its teams as a member',
    );
    assert.ok(team.team_info.members.includes('user-1'));
    assert.deepEqual(
      (await ok('GET', '/team/list?user_id=user-1')).map((t: { team_id: string }) => t.team_id),
      ['team-full'],
    );
    assert.equal(u.max_budget, 4);
    assert.equal(u.budget_duration, '7d');
    assert.ok(u.budget_reset_at);
    assert.deepEqual(u.model_max_budget, { 'gpt-a': 1 });
    assert.match(u.key, /^sk-/);
    const keyInfo = await ok('GET', '/key/info', undefined, u.key);
    assert.equal(keyInfo.info.user_id, 'user-1');
    const bare = await ok('POST', '/user/new', { user_id: 'user-2', auto_create_key: false });
    assert.equal(bare.key, undefined);
    assertError(await api('POST', '/user/new', { user_id: 'user-2' }), 400, { code: 'user_exists' });
    assertError(await api('POST', '/user/new', { user_role: 'god' }), 400, { param: 'user_role' });
    assertError(await api('POST', '/user/new', { user_email: 'not-an-email' }), 400, { param: 'user_email' });
    assertError(await api('POST', '/user/new', { user_name: 'x' }), 400, { param: 'user_name' });
  });

  it('/user/info answers user_info, keys and teams; /user/update by id or email; /user/list pages', async () => {
    const info = await ok('GET', '/user/info?user_id=user-1');
    assert.equal(info.user_id, 'user-1');
    // Every field of LiteLLM's LiteLLM_UserTable.
    for (const field of [
      ...['user_id', 'max_budget', 'spend', 'model_max_budget', 'model_spend', 'user_email', 'models'],
      ...['tpm_limit', 'rpm_limit', 'user_role', 'organization_memberships', 'teams', 'sso_user_id'],
      ...['budget_duration', 'budget_reset_at', 'metadata', 'created_at', 'updated_at', 'object_permission'],
    ])
      assert.ok(field in info.user_info, `user_info.${field}`);
    assert.equal(info.user_info.spend, 0);
    assert.equal(info.keys.length, 1);
    assert.deepEqual(
      info.teams.map((t: { team_id: string }) => t.team_id),
      ['team-full'],
    );
    const byId = await ok('POST', '/user/update', { user_id: 'user-1', max_budget: 8 });
    assert.equal(byId.data.max_budget, 8);
    const byEmail = await ok('POST', '/user/update', { user_email: 'one@example.com', user_alias: 'Uno' });
    assert.equal(byEmail.user_id, 'user-1');
    assert.equal(byEmail.data.user_alias, 'Uno');
    assertError(await api('POST', '/user/update', { max_budget: 1 }), 400, { param: 'user_id' });
    assertError(await api('POST', '/user/update', { user_id: 'ghost', max_budget: 1 }), 404);
    const page = await ok('GET', '/user/list?page=1&page_size=1');
    assert.equal(page.users.length, 1);
    assert.equal(page.total, 2);
    assert.equal(page.total_pages, 2);
    const some = await ok('GET', '/user/list?user_ids=user-2');
    assert.deepEqual(
      some.users.map((x: { user_id: string }) => x.user_id),
      ['user-2'],
    );
    assertError(await api('GET', '/user/list?page_size=1000'), 400, { param: 'page_size' });
    assertError(await api('GET', '/user/info?user_id=ghost'), 404);
  });

  it('/user/delete removes users and their keys; audit rows for each user change', async () => {
    const u = await ok('POST', '/user/new', { user_id: 'user-del' });
    const d = await ok('POST', '/user/delete', { user_ids: ['user-del'] });
    assert.deepEqual(d.deleted_users, ['user-del']);
    assert.equal((await api('GET', '/models', undefined, u.key)).status, 401);
    assertError(await api('POST', '/user/delete', { user_ids: ['ghost'] }), 404);
    assert.deepEqual(await actions('user-1'), ['user.new', 'user.update', 'user.update']);
    assert.deepEqual(await actions('user-del'), ['user.new', 'user.delete']);
  });

  it('/user/delete takes the user out of the teams that list it, as a member and as an admin', async () => {
    await ok('POST', '/team/new', { team_id: 'team-left' });
    await ok('POST', '/user/new', { user_id: 'user-leaves', auto_create_key: false });
    await ok('POST', '/user/new', { user_id: 'user-stays', auto_create_key: false });
    await ok('POST', '/team/member_add', {
      team_id: 'team-left',
      member: [
        { role: 'admin', user_id: 'user-leaves' },
        { role: 'user', user_id: 'user-stays' },
      ],
    });
    await ok('POST', '/user/delete', { user_ids: ['user-leaves'] });
    const info = (await ok('GET', '/team/info?team_id=team-left')).team_info;
    assert.deepEqual(
      info.members_with_roles.map((m: { user_id: string }) => m.user_id),
      ['user-stays'],
    );
    assert.deepEqual(info.admins, []);
    assert.deepEqual(info.members, ['user-stays']);
  });

  it('/customer/new|info|update|list|block|unblock|delete with LiteLLM fields', async () => {
    const c = await ok('POST', '/customer/new', {
      user_id: 'cust-1',
      alias: 'Customer one',
      max_budget: 2,
      soft_budget: 1,
      budget_duration: '24h',
      rpm_limit: 10,
      tpm_limit: 100,
      max_parallel_requests: 1,
      allowed_model_region: 'eu',
      default_model: 'gpt-a',
    });
    assert.equal(c.user_id, 'cust-1');
    assert.equal(c.alias, 'Customer one');
    assert.equal(c.allowed_model_region, 'eu');
    assert.equal(c.litellm_budget_table.max_budget, 2);
    assert.equal(c.litellm_budget_table.budget_duration, '24h');
    assert.ok(c.budget_reset_at);
    assert.equal(c.budget_id, null, 'limits of its own, no budget (budgets-customers.test.ts)');
    assertError(await api('POST', '/customer/new', { user_id: 'cust-1' }), 400, { code: 'customer_exists' });
    assertError(await api('POST', '/customer/new', {}), 400, { param: 'user_id' });
    assertError(await api('POST', '/customer/new', { user_id: 'c', allowed_model_region: 'mars' }), 400, {
      param: 'allowed_model_region',
    });
    const info = await ok('GET', '/customer/info?end_user_id=cust-1');
    assert.equal(info.max_budget, 2);
    assert.equal((await ok('POST', '/customer/update', { user_id: 'cust-1', max_budget: 5 })).max_budget, 5);
    assert.deepEqual((await ok('POST', '/customer/block', { user_ids: ['cust-1'] })).blocked_users, ['cust-1']);
    assert.equal((await ok('GET', '/customer/info?end_user_id=cust-1')).blocked, true);
    await ok('POST', '/customer/unblock', { user_ids: ['cust-1'] });
    assert.equal((await ok('GET', '/customer/info?end_user_id=cust-1')).blocked, false);
    const list = await ok('GET', '/customer/list');
    assert.deepEqual(
      list.map((x: { user_id: string }) => x.user_id),
      ['cust-1'],
    );
    assertError(await api('GET', '/customer/info?end_user_id=ghost'), 404);
    assertError(await api('POST', '/customer/delete', { user_ids: ['ghost'] }), 404);
    assert.deepEqual((await ok('POST', '/customer/delete', { user_ids: ['cust-1'] })).deleted_customers, ['cust-1']);
    assert.deepEqual(await actions('cust-1'), [
      'customer.new',
      'customer.update',
      'customer.block',
      'customer.unblock',
      'customer.delete',
    ]);
  });

  it("LiteLLM's former /end_user/* names answer as the /customer/* routes", async () => {
    assert.equal((await ok('POST', '/end_user/new', { user_id: 'cust-eu', max_budget: 3 })).user_id, 'cust-eu');
    assert.equal((await ok('GET', '/end_user/info?end_user_id=cust-eu')).max_budget, 3);
    assert.equal((await ok('POST', '/end_user/update', { user_id: 'cust-eu', max_budget: 4 })).max_budget, 4);
    assert.deepEqual((await ok('POST', '/end_user/block', { user_ids: ['cust-eu'] })).blocked_users, ['cust-eu']);
    assert.equal((await ok('GET', '/customer/info?end_user_id=cust-eu')).blocked, true);
    await ok('POST', '/end_user/unblock', { user_ids: ['cust-eu'] });
    assert.deepEqual(
      (await ok('GET', '/end_user/list')).map((x: { user_id: string }) => x.user_id),
      ['cust-eu'],
    );
    assert.deepEqual((await ok('POST', '/end_user/delete', { user_ids: ['cust-eu'] })).deleted_customers, ['cust-eu']);
    assertError(await api('GET', '/end_user/info?end_user_id=cust-eu'), 404);
  });

  it('/user/update with spend sets the stored spend, with an audit row', async () => {
    await ok('POST', '/user/new', { user_id: 'user-spend', auto_create_key: false, max_budget: 5 });
    assert.equal((await ok('POST', '/user/update', { user_id: 'user-spend', spend: 7 })).data.spend, 7);
    assert.equal((await ok('GET', '/user/info?user_id=user-spend')).user_info.spend, 7);
    const [row] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM users WHERE user_id = $1', ['user-spend']);
    assert.equal(row.spend, 7);
    await ok('POST', '/user/update', { user_id: 'user-spend', spend: 0 });
    assert.equal((await ok('GET', '/user/info?user_id=user-spend')).user_info.spend, 0);
    const audit = await sql<{ details: { spend?: number } }>(
      db.url,
      "SELECT details FROM audit_log WHERE object_id = $1 AND action = 'user.update' ORDER BY id",
      ['user-spend'],
    );
    assert.deepEqual(
      audit.map((r) => r.details.spend),
      [7, 0],
    );
  });

  it('/team/member_add by email alone lists the user_id; short emails pass; too many members is a 400 naming the bound', async () => {
    await ok('POST', '/team/new', { team_id: 'team-mail' });
    await ok('POST', '/user/new', { user_id: 'u-short', user_email: 'a@b.c', auto_create_key: false });
    const added = await ok('POST', '/team/member_add', {
      team_id: 'team-mail',
      member: [{ user_email: 'a@b.c' }, { role: 'admin', user_email: 'fresh@example.com' }],
    });
    const [fresh] = await sql<{ user_id: string }>(
      db.url,
      "SELECT user_id FROM users WHERE user_email = 'fresh@example.com'",
    );
    assert.deepEqual(added.members_with_roles, [
      { role: 'user', user_id: 'u-short', user_email: 'a@b.c' },
      { role: 'admin', user_id: fresh.user_id, user_email: 'fresh@example.com' },
    ]);
    assert.deepEqual(added.members.sort(), [fresh.user_id, 'u-short'].sort());
    const info = await ok('GET', '/team/info?team_id=team-mail');
    assert.deepEqual(
      info.team_info.members_with_roles.map((m: { user_id: string }) => m.user_id),
      ['u-short', fresh.user_id],
    );
    assertError(await api('POST', '/user/new', { user_id: 'u-bad', user_email: 'not an email' }), 400, {
      param: 'user_email',
    });

    const many = Array.from({ length: 1001 }, (_, i) => ({ user_id: `bulk-${i}` }));
    assertError(await api('POST', '/team/member_add', { team_id: 'team-mail', member: many }), 400, {
      param: 'member',
      message: /at most 1000 members/,
    });
    await ok('POST', '/team/member_add', { team_id: 'team-mail', member: many.slice(0, 998) });
    assertError(
      await api('POST', '/team/member_add', { team_id: 'team-mail', member: [{ user_id: 'one-more' }] }),
      400,
      { param: 'member', code: 'too_many_members', message: /would have 1001 members; a team has at most 1000/ },
    );
    assertError(await api('POST', '/team/member_add', { team_id: 'ghost', member: { user_email: 'x@y.z' } }), 404);
    assert.equal((await sql(db.url, "SELECT 1 FROM users WHERE user_email = 'x@y.z'")).length, 0);
    await ok('POST', '/team/delete', { team_ids: ['team-mail'] });
    await ok('POST', '/user/delete', {
      user_ids: ['u-short', fresh.user_id, ...many.slice(0, 998).map((m) => m.user_id)],
    });
  });
});
