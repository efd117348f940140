import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InProcessGateway } from '../support/gateway';
import { assertError, managementApi } from '../support/management-api';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-litellm-bodies-01';

/**
 * Fields of LiteLLM's request models (GenerateRequestBase, NewUserRequest, UpdateUserRequest, TeamBase,
 * NewTeamRequest, UpdateTeamRequest, BudgetNewRequest / NewCustomerRequest) and bodies from its docs: each is
 * accepted, and a field without effect here is answered back as sent.
 */
const GENERATE_BASE_EXTRA = {
  agent_id: 'agent-1',
  budget_limits: [{ budget_duration: '1d', max_budget: 5 }],
  budget_fallbacks: { 'gpt-a': ['gpt-b'] },
  mcp_rpm_limit: { 'mcp-server': 5 },
  tag_rpm_limit: { batch: 5 },
  policies: ['policy-1'],
};

const TEAM_EXTRA = {
  budget_limits: [{ budget_duration: '1d', max_budget: 5 }],
  default_team_member_models: ['gpt-a'],
  disable_global_guardrails: true,
  default_estimated_output_tokens: 100,
  default_estimated_output_tokens_per_model: { 'gpt-a': 50 },
  mcp_rpm_limit: { 'mcp-server': 5 },
  team_member_budget_duration: '30d',
  enforced_batch_output_expires_after: { anchor: 'created_at', seconds: 3600 },
  enforced_file_expires_after: { anchor: 'created_at', seconds: 3600 },
};

function assertEchoed(answer: Record<string, unknown>, sent: Record<string, unknown>, what: string): void {
  for (const [k, v] of Object.entries(sent)) assert.deepEqual(answer[k], v, `${what}: ${k} answered as sent`);
}

describe("LiteLLM's documented management bodies are accepted (PostgreSQL)", () => {
  let gw: InProcessGateway;
  let setup: ProxyOnDatabase | undefined;
  const { api, ok } = managementApi(() => gw.url, MASTER);

  before(async () => {
    setup = await startProxy({
      database: 'gw_litellm_bodies',
      apiKey: MASTER,
      yaml: `general_settings:\n  master_key: ${MASTER}\n`,
    });
    ({ gw } = setup);
  });
  after(() => setup?.close());

  it('/key/generate and /key/update take model_max_budget with budget_limit as text, as the docs send it', async () => {
    const budget = { 'gpt-4o': { budget_limit: '0.0000001', time_period: '1d' } };
    const k = await ok('POST', '/key/generate', { model_max_budget: budget });
    assert.deepEqual(k.model_max_budget, budget);
    const u = await ok('POST', '/key/update', { key: k.key, model_max_budget: { 'gpt-4o': { budget_limit: '2' } } });
    assert.deepEqual(u.model_max_budget, { 'gpt-4o': { budget_limit: '2' } });
  });

  it('/user/new and /user/update take every GenerateRequestBase field; teams as NewUserRequestTeam objects', async () => {
    await ok('POST', '/team/new', { team_id: 'team-b1' });
    const u = await ok('POST', '/user/new', {
      user_id: 'user-b1',
      auto_create_key: false,
      spend: 0,
      teams: [{ team_id: 'team-b1', max_budget_in_team: 3, user_role: 'user' }],
      ...GENERATE_BASE_EXTRA,
    });
    assertEchoed(u, GENERATE_BASE_EXTRA, '/user/new');
    assert.deepEqual(u.teams, ['team-b1']);
    await ok('POST', '/team/new', { team_id: 'team-b2' });
    await ok('POST', '/user/new', {
      user_id: 'user-b2',
      auto_create_key: false,
      teams: [{ team_id: 'team-b2', user_role: 'admin' }, 'team-b1'],
    });
    const roles = async (team: string) =>
      (await ok('GET', `/team/info?team_id=${team}`)).team_info.members_with_roles.map(
        (m: { user_id: string; role: string }) => `${m.user_id}:${m.role}`,
      );
    assert.deepEqual(
      await roles('team-b2'),
      ['user-b2:admin'],
      "a NewUserRequestTeam's user_role is the member's role",
    );
    assert.deepEqual(await roles('team-b1'), ['user-b1:user', 'user-b2:user']);
    const changed = { key_alias: 'user-key', duration: '1d', team_id: 'team-b1', ...GENERATE_BASE_EXTRA };
    const up = await ok('POST', '/user/update', { user_id: 'user-b1', spend: 0, ...changed });
    assertEchoed(up.data, changed, '/user/update');
  });

  it('/team/new and /team/update take every NewTeamRequest / UpdateTeamRequest field', async () => {
    const t = await ok('POST', '/team/new', { team_alias: 'bodies', ...TEAM_EXTRA });
    assertEchoed(t, TEAM_EXTRA, '/team/new');
    const up = await ok('POST', '/team/update', {
      team_id: t.team_id,
      ...TEAM_EXTRA,
      disable_global_guardrails: false,
    });
    assertEchoed(up.data, { ...TEAM_EXTRA, disable_global_guardrails: false }, '/team/update');
  });

  it('/customer/new takes budget_reset_at (BudgetNewRequest) and keeps it as the first reset', async () => {
    const at = '2031-01-01T00:00:00.000Z';
    const c = await ok('POST', '/customer/new', { user_id: 'cust-b1', budget_duration: '30d', budget_reset_at: at });
    assert.equal(c.budget_reset_at, at);
  });

  it("/key/list takes LiteLLM's query parameters: key_hash, organization_id, sort_by/sort_order and the listing flags", async () => {
    const a = await ok('POST', '/key/generate', { key_alias: 'list-a', organization_id: 'org-l', max_budget: 1 });
    const b = await ok('POST', '/key/generate', { key_alias: 'list-b', organization_id: 'org-l', max_budget: 3 });
    await ok('POST', '/key/generate', { key_alias: 'list-c', organization_id: 'org-other' });
    const byHash = await ok('GET', `/key/list?key_hash=${a.token}&return_full_object=true`);
    assert.deepEqual(
      byHash.keys.map((k: { token: string }) => k.token),
      [a.token],
    );
    const q =
      'organization_id=org-l&sort_by=max_budget&sort_order=desc&include_team_keys=true&include_created_by_keys=true';
    const byOrg = await ok('GET', `/key/list?${q}&expand=user&substring_matching=false`);
    assert.deepEqual(byOrg.keys, [b.token, a.token]);
    const asc = await ok('GET', '/key/list?organization_id=org-l&sort_by=max_budget&sort_order=asc');
    assert.deepEqual(asc.keys, [a.token, b.token]);
    for (const col of ['created_at', 'token', 'spend', 'key_alias'])
      for (const order of ['asc', 'desc']) await ok('GET', `/key/list?sort_by=${col}&sort_order=${order}`);
    const newest = await ok('GET', '/key/list?organization_id=org-l&sort_by=created_at&sort_order=desc');
    assert.deepEqual(newest.keys, [b.token, a.token]);
  });

  it('/key/list takes access_group_id (keys whose access_group_ids hold it) and status=deleted', async () => {
    const g = await ok('POST', '/key/generate', { key_alias: 'list-ag', access_group_ids: ['ag-1', 'ag-2'] });
    await ok('POST', '/key/generate', { key_alias: 'list-ag-other', access_group_ids: ['ag-3'] });
    assert.deepEqual((await ok('GET', '/key/list?access_group_id=ag-2')).keys, [g.token]);
    assert.deepEqual((await ok('GET', '/key/list?access_group_id=ag-none')).keys, []);
    await ok('POST', '/key/delete', { keys: [g.token] });
    const deleted = await ok('GET', '/key/list?status=deleted');
    assert.deepEqual(deleted, { keys: [], total_count: 0, current_page: 1, total_pages: 0 });
    assertError(await api('GET', '/key/list?status=active'), 400, { param: 'status' });
  });

  it("/user/list takes LiteLLM's query parameters: user_email (part of it), sso_user_ids, sort_by/sort_order", async () => {
    await ok('POST', '/user/new', {
      user_id: 'ul-1',
      user_email: 'Ann@Corp.example',
      auto_create_key: false,
      max_budget: 1,
    });
    await ok('POST', '/user/new', {
      user_id: 'ul-2',
      user_email: 'bob@corp.example',
      auto_create_key: false,
      max_budget: 2,
    });
    await ok('POST', '/user/new', { user_id: 'ul-3', sso_user_id: 'sso-3', auto_create_key: false });
    const ids = (l: { users: { user_id: string }[] }) => l.users.map((u) => u.user_id);
    const q = 'user_email=corp.EXAMPLE&sort_by=max_budget&sort_order=desc';
    assert.deepEqual(ids(await ok('GET', `/user/list?${q}`)), ['ul-2', 'ul-1']);
    assert.deepEqual(ids(await ok('GET', '/user/list?user_email=corp.example&sort_by=user_id')), ['ul-1', 'ul-2']);
    assert.deepEqual(ids(await ok('GET', '/user/list?sso_user_ids=sso-3,sso-x')), ['ul-3']);
    for (const col of ['user_id', 'created_at', 'spend', 'user_email'])
      await ok('GET', `/user/list?sort_by=${col}&sort_order=desc`);
  });

  it("/team/member_update changes a member's role (TeamMemberUpdateRequest) and answers TeamMemberUpdateResponse", async () => {
    await ok('POST', '/team/new', {
      team_id: 'team-mu',
      members_with_roles: [
        { role: 'user', user_id: 'mu-1' },
        { role: 'user', user_email: 'mu2@example.com' },
      ],
    });
    const r = await ok('POST', '/team/member_update', {
      team_id: 'team-mu',
      user_id: 'mu-1',
      role: 'admin',
      max_budget_in_team: 5,
    });
    assert.deepEqual(r, { team_id: 'team-mu', user_id: 'mu-1', user_email: null, max_budget_in_team: 5 });
    const r2 = await ok('POST', '/team/member_update', {
      team_id: 'team-mu',
      user_email: 'mu2@example.com',
      role: 'admin',
      budget_duration: '1d',
      tpm_limit: 10,
      rpm_limit: 1,
    });
    assert.deepEqual(r2, {
      team_id: 'team-mu',
      user_id: null,
      user_email: 'mu2@example.com',
      max_budget_in_team: null,
      budget_duration: '1d',
      tpm_limit: 10,
      rpm_limit: 1,
    });
    const info = await ok('GET', '/team/info?team_id=team-mu');
    assert.deepEqual(
      info.team_info.members_with_roles.map((m: { role: string }) => m.role),
      ['admin', 'admin'],
    );
    assertError(
      await api('POST', '/team/member_update', { team_id: 'team-mu', user_id: 'ghost', role: 'admin' }),
      400,
      {
        code: 'member_not_found',
      },
    );
    assertError(await api('POST', '/team/member_update', { team_id: 'team-mu', role: 'admin' }), 400);
    assertError(await api('POST', '/team/member_update', { team_id: 'no-team', user_id: 'mu-1' }), 404);
  });

  it('null for an Optional LiteLLM field (pydantic None, as Python clients send unset fields) is read as not given', async () => {
    const k = await ok('POST', '/key/generate', { key: null, models: null, blocked: null, allowed_routes: null });
    assert.match(k.key, /^sk-/);
    assert.deepEqual(k.models, []);
    const u = await ok('POST', '/key/update', { key: k.key, models: null, blocked: null, allowed_routes: null });
    assert.equal(u.blocked, false);
    const user = await ok('POST', '/user/new', {
      user_id: null,
      models: null,
      spend: null,
      blocked: null,
      teams: null,
      auto_create_key: false,
    });
    assert.ok(user.user_id);
    await ok('POST', '/user/update', {
      user_id: user.user_id,
      models: null,
      spend: null,
      blocked: null,
      password: null,
    });
    const team = await ok('POST', '/team/new', { team_id: null });
    assert.ok(team.team_id);
    await ok('POST', '/team/update', { team_id: team.team_id, models: null, blocked: null });
    await ok('POST', '/customer/new', { user_id: 'cust-null', spend: null });
    assertError(await api('POST', '/team/update', { team_id: null }), 400, { param: 'team_id' });
  });
});
