import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InProcessGateway } from '../support/gateway';
import { assertError, managementApi } from '../support/management-api';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-teams-edges-0001';

describe('teams, users and customers: edges of the LiteLLM routes (PostgreSQL)', () => {
  let gw: InProcessGateway;
  let setup: ProxyOnDatabase | undefined;
  const { api, ok } = managementApi(() => gw.url, MASTER);
  const teamsOf = async (userId: string): Promise<string[]> =>
    (await ok('GET', `/user/info?user_id=${userId}`)).user_info.teams;

  before(async () => {
    setup = await startProxy({
      database: 'gw_teams_edges',
      apiKey: MASTER,
      yaml: `general_settings:\n  master_key: ${MASTER}\n`,
    });
    ({ gw } = setup);
  });
  after(() => setup?.close());

  it("/team/delete takes the team out of its members' teams, as LiteLLM's delete removes each member", async () => {
    await ok('POST', '/team/new', { team_id: 'edge-del' });
    await ok('POST', '/team/new', { team_id: 'edge-keep' });
    await ok('POST', '/team/member_add', {
      team_id: 'edge-del',
      member: [
        { role: 'admin', user_id: 'edge-u1' },
        { role: 'user', user_id: 'edge-u2' },
      ],
    });
    await ok('POST', '/team/member_add', { team_id: 'edge-keep', member: { user_id: 'edge-u1' } });
    assert.deepEqual(await teamsOf('edge-u1'), ['edge-del', 'edge-keep']);
    await ok('POST', '/team/delete', { team_ids: ['edge-del'] });
    assert.deepEqual(await teamsOf('edge-u1'), ['edge-keep']);
    assert.deepEqual(await teamsOf('edge-u2'), []);
    const listed = await ok('GET', '/user/list?team=edge-del');
    assert.deepEqual(listed.users, [], 'no user is listed in a deleted team');
  });

  it("/team/new members_with_roles: each member named by id is a stored user listing the team, as LiteLLM's", async () => {
    await ok('POST', '/user/new', { user_id: 'edge-known', auto_create_key: false, teams: [] });
    await ok('POST', '/team/new', {
      team_id: 'edge-new',
      members_with_roles: [
        { role: 'admin', user_id: 'edge-fresh' },
        { role: 'user', user_id: 'edge-known' },
      ],
    });
    const fresh = (await ok('GET', '/user/info?user_id=edge-fresh')).user_info;
    assert.deepEqual(fresh.teams, ['edge-new']);
    assert.equal(fresh.user_role, 'internal_user');
    assert.deepEqual(await teamsOf('edge-known'), ['edge-new']);
  });

  it('/user/update by a user_email that several users have is refused, not applied to one of them', async () => {
    for (const id of ['edge-mail-1', 'edge-mail-2'])
      await ok('POST', '/user/new', { user_id: id, user_email: 'shared@example.com', auto_create_key: false });
    assertError(await api('POST', '/user/update', { user_email: 'shared@example.com', max_budget: 9 }), 400, {
      param: 'user_email',
      code: 'ambiguous_user_email',
    });
    for (const id of ['edge-mail-1', 'edge-mail-2'])
      assert.equal((await ok('GET', `/user/info?user_id=${id}`)).user_info.max_budget, null);
    await ok('POST', '/user/delete', { user_ids: ['edge-mail-2'] });
    const one = await ok('POST', '/user/update', { user_email: 'shared@example.com', max_budget: 9 });
    assert.equal(one.user_id, 'edge-mail-1');
    assert.equal(one.data.max_budget, 9);
  });

  it("/user/new teams as LiteLLM's NewUserRequestTeam: max_budget_in_team is the member's budget there, checked", async () => {
    await ok('POST', '/team/new', { team_id: 'edge-joined' });
    assertError(
      await api('POST', '/user/new', {
        user_id: 'edge-bad-budget',
        auto_create_key: false,
        teams: [{ team_id: 'edge-joined', max_budget_in_team: -1 }],
      }),
      400,
      { param: 'teams.0' },
    );
    await ok('POST', '/user/new', {
      user_id: 'edge-joiner',
      auto_create_key: false,
      teams: [{ team_id: 'edge-joined', user_role: 'admin', max_budget_in_team: 5 }],
    });
    const info = await ok('GET', '/team/info?team_id=edge-joined');
    assert.deepEqual(info.team_info.members_with_roles, [{ role: 'admin', user_id: 'edge-joiner' }]);
    const [membership] = info.team_memberships;
    assert.equal(membership.user_id, 'edge-joiner');
    assert.equal(membership.litellm_budget_table.max_budget, 5);
  });

  it("/team/info: a key of one of the team's members reads it; others, and teams that do not exist, are refused alike", async () => {
    await ok('POST', '/team/new', { team_id: 'edge-read' });
    await ok('POST', '/team/member_add', { team_id: 'edge-read', member: { role: 'user', user_id: 'edge-reader' } });
    const member = (await ok('POST', '/key/generate', { user_id: 'edge-reader' })).key as string;
    const stranger = (await ok('POST', '/key/generate', { user_id: 'edge-stranger' })).key as string;
    const noUser = (await ok('POST', '/key/generate', {})).key as string;
    const read = await api('GET', '/team/info?team_id=edge-read', undefined, member);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.team_id, 'edge-read');
    for (const [key, path] of [
      [stranger, '/team/info?team_id=edge-read'],
      [noUser, '/team/info?team_id=edge-read'],
      [member, '/team/info?team_id=edge-no-such-team'],
    ])
      assertError(await api('GET', path, undefined, key), 403, { code: 'team_forbidden' });
  });

  it('lists answer the end of the current period, as the info routes do, once a period ended unseen', async () => {
    await ok('POST', '/team/new', { team_id: 'edge-period', budget_duration: '1s' });
    await ok('POST', '/user/new', { user_id: 'edge-period', budget_duration: '1s', auto_create_key: false });
    await ok('POST', '/customer/new', { user_id: 'edge-period', budget_duration: '1s' });
    await new Promise((r) => setTimeout(r, 1_300));
    const now = Date.now();
    const team = (await ok('GET', '/team/list')).find((t: { team_id: string }) => t.team_id === 'edge-period');
    const user = (await ok('GET', '/user/list?user_ids=edge-period')).users[0];
    const customer = (await ok('GET', '/customer/list')).find((c: { user_id: string }) => c.user_id === 'edge-period');
    for (const [what, row] of Object.entries({ team, user, customer })) {
      assert.equal(row.spend, 0, `${what}: spend of the current period`);
      assert.ok(Date.parse(row.budget_reset_at) > now, `${what}: budget_reset_at ${row.budget_reset_at} has passed`);
    }
  });
});
