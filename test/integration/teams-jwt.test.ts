import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startGateway, type InProcessGateway } from '../support/gateway';
import { assertError, managementApi, waitFor } from '../support/management-api';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { auditActions, sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import type { FakeUpstream } from '../support/upstream';

const MASTER = 'sk-master-teams-jwt-0001';
const realm = (roles: string[]) => ({ realm_access: { roles } });
const client = (roles: string[]) => ({ resource_access: { gateway: { roles } } });
const allowed = realm(['gateway-user']);

describe('JWT mapping (litellm_jwtauth) with tokens from a real OpenID provider', () => {
  let up: FakeUpstream;
  let idp: TestOidcProvider;
  let db: TestDatabase;
  let gw: InProcessGateway;
  let strict: InProcessGateway;
  let setup: ProxyOnDatabase | undefined;
  const { api, ok } = managementApi(() => gw.url, MASTER);
  const strictApi = managementApi(() => strict.url, MASTER);
  const jwt = (clientId: string, scope?: string) => idp.token(clientId, scope);
  const chat = (token: string, model = 'gpt-a', headers: Record<string, string> = {}, base = () => gw.url) =>
    fetch(`${base()}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });

  before(async () => {
    idp = await startOidcProvider({
      clients: [
        { clientId: 'team-a-app', claims: { team_id: 'jwt-team-a', email: 'a@example.com', ...allowed } },
        { clientId: 'team-b-app', claims: { team_id: 'jwt-team-b', email: 'b@example.com', ...allowed } },
        { clientId: 'groups-app', claims: { groups: ['jwt-g1', 'jwt-g2'], email: 'g@example.com', ...allowed } },
        { clientId: 'nogroup-app', claims: { email: 'n@example.com', ...allowed } },
        { clientId: 'kc-admin', claims: { email: 'adm@example.com', ...client(['gw-admin']), ...allowed } },
        { clientId: 'kc-viewer', claims: { email: 'v@example.com', ...client(['gw-viewer', 'x']), ...allowed } },
        { clientId: 'kc-user', claims: { email: 'u@example.com', ...client(['gw-user']), ...allowed } },
        { clientId: 'evil-mail', claims: { team_id: 'jwt-team-a', email: 'x@evil.com', ...allowed } },
        { clientId: 'no-realm-role', claims: { team_id: 'jwt-team-a', email: 'r@example.com', ...realm(['other']) } },
        {
          clientId: 'cust-app',
          claims: { team_id: 'jwt-team-c', email: 'c@example.com', customer: 'jwt-cust', ...allowed },
        },
        {
          clientId: 'groups-cust-app',
          claims: { groups: ['jwt-r1', 'jwt-r2'], email: 'r@example.com', customer: 'jwt-cust-row', ...allowed },
        },
        { clientId: 'scoped', scope: 'read write', claims: { team_id: 'jwt-team-s' } },
        { clientId: 'unknown-team', claims: { team_id: 'never-created' } },
        { clientId: 'known-team', scope: 'read', claims: { team_id: 'jwt-known' } },
        { clientId: 'deleted-team', claims: { team_id: 'jwt-team-del', email: 'd@example.com', ...allowed } },
        { clientId: 'deleted-strict', scope: 'read', claims: { team_id: 'jwt-strict-del' } },
        { clientId: 'groups-strict', scope: 'read', claims: { groups: ['jwt-never-stored', 'jwt-team-s'] } },
        { clientId: 'groups-none-stored', scope: 'read', claims: { groups: ['jwt-never-1', 'jwt-never-2'] } },
        { clientId: 'nul-team', claims: { team_id: 'jwt-\u0000', email: 'z@example.com', ...allowed } },
        { clientId: 'long-team', claims: { team_id: 't'.repeat(300), email: 'z@example.com', ...allowed } },
        {
          clientId: 'nul-customer',
          claims: { team_id: 'jwt-team-a', email: 'z@example.com', customer: 'c\ud800', ...allowed },
        },
        {
          clientId: 'odd-groups',
          claims: { groups: ['jwt-\u0000', 'g'.repeat(300), 'jwt-g3'], email: 'o@example.com', ...allowed },
        },
      ],
    });
    const models = (upstream: string) =>
      ['gpt-a', 'gpt-b']
        .map(
          (m) =>
            `  - model_name: ${m}\n    litellm_params: { model: openai/${m}, api_base: ${upstream}, api_key: sk-up-jwt }`,
        )
        .join('\n');
    setup = await startProxy({
      database: 'gw_teams_jwt',
      apiKey: MASTER,
      env: { JWT_PUBLIC_KEY_URL: idp.jwksUri },
      yaml: (upstream) => `model_list:
${models(upstream)}
general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
  litellm_jwtauth:
    team_id_jwt_field: team_id
    team_ids_jwt_field: groups
    team_id_default: jwt-default
    team_allowed_routes: [openai_routes, info_routes, /team/update, /team/member_add]
    user_id_jwt_field: sub
    user_id_upsert: true
    user_email_jwt_field: email
    user_allowed_email_domain: example.com
    user_roles_jwt_field: realm_access.roles
    user_allowed_roles: [gateway-user]
    roles_jwt_field: resource_access.gateway.roles
    role_mappings:
      - { role: gw-admin, internal_role: proxy_admin }
      - { role: gw-viewer, internal_role: proxy_admin_viewer }
      - { role: gw-user, internal_role: internal_user }
    end_user_id_jwt_field: customer
`,
    });
    ({ up, db, gw } = setup);
  });
  after(async () => {
    await strict?.close(); // before the set-up drops the database it shares
    await setup?.close();
    await idp?.stop();
  });

  it('a team seen first in a JWT is created (team upsert), and its limits bind the JWT and its keys together', async () => {
    const token = await jwt('team-a-app');
    assert.equal((await chat(token)).status, 200);
    const info = await ok('GET', '/team/info?team_id=jwt-team-a');
    assert.equal(info.team_info.team_id, 'jwt-team-a');
    const audit = await sql<{ action: string }>(db.url, "SELECT action FROM audit_log WHERE object_id = 'jwt-team-a'");
    assert.deepEqual(
      audit.map((r) => r.action),
      ['team.upsert'],
    );
    await ok('POST', '/team/update', { team_id: 'jwt-team-a', rpm_limit: 2 });
    const key = (await ok('POST', '/key/generate', { team_id: 'jwt-team-a' })).key;
    assert.equal((await chat(key)).status, 200);
    assert.equal((await chat(token)).status, 200);
    const refused = await chat(key);
    assert.equal(refused.status, 429, 'the key and the JWT share the team rpm_limit');
    assert.equal((await chat(token)).status, 429);
  });

  it('a team deleted while its verified JWT is cached is created again on its next call (team_id_upsert), limits and all', async () => {
    const token = await jwt('deleted-team');
    assert.equal((await chat(token)).status, 200);
    await ok('POST', '/team/delete', { team_ids: ['jwt-team-del'] });
    assertError(await api('GET', '/team/info?team_id=jwt-team-del'), 404);
    assert.equal((await chat(token)).status, 200, 'the same token, verified before the deletion');
    const info = await ok('GET', '/team/info?team_id=jwt-team-del');
    assert.equal(info.team_info.rpm_limit, null, 'created again with defaults');
    assert.deepEqual(await auditActions(db.url, 'jwt-team-del'), ['team.upsert', 'team.delete', 'team.upsert']);
    await ok('POST', '/team/update', { team_id: 'jwt-team-del', rpm_limit: 1 });
    assert.equal((await chat(token)).status, 200);
    assert.equal((await chat(token)).status, 429, "the team's limits bind the cached token again");
  });

  it('team_ids_jwt_field: x-litellm-team-id picks a listed team; without it the first that may use the model', async () => {
    await ok('POST', '/team/new', { team_id: 'jwt-g1', models: ['gpt-b'] });
    await ok('POST', '/team/new', { team_id: 'jwt-g2', models: ['gpt-a'] });
    const token = await jwt('groups-app');
    assert.equal((await chat(token, 'gpt-a')).status, 200);
    assert.equal((await chat(token, 'gpt-b')).status, 200);
    const picked = await chat(token, 'gpt-a', { 'x-litellm-team-id': 'jwt-g1' });
    assert.equal(picked.status, 401, 'team jwt-g1 may not use gpt-a');
    const other = await chat(token, 'gpt-a', { 'x-litellm-team-id': 'jwt-team-b' });
    assert.equal(other.status, 403, 'a team the token does not list');
    await ok('POST', '/team/block', { team_id: 'jwt-g2' });
    assert.equal((await chat(token, 'gpt-a', { 'x-litellm-team-id': 'jwt-g2' })).status, 401);
    await ok('POST', '/team/unblock', { team_id: 'jwt-g2' });
  });

  it('team_id_default: a token without team claims belongs to the default team', async () => {
    assert.equal((await chat(await jwt('nogroup-app'))).status, 200);
    assert.equal((await ok('GET', '/team/info?team_id=jwt-default')).team_id, 'jwt-default');
    await ok('POST', '/team/block', { team_id: 'jwt-default' });
    assert.equal((await chat(await jwt('nogroup-app'))).status, 401);
    await ok('POST', '/team/unblock', { team_id: 'jwt-default' });
  });

  it('user_id_upsert: the token subject is stored as a user, whose limits apply', async () => {
    const token = await jwt('team-b-app');
    assert.equal((await chat(token)).status, 200);
    const user = await ok('GET', '/user/info?user_id=team-b-app');
    assert.equal(user.user_info.user_email, 'b@example.com');
    await ok('POST', '/user/update', { user_id: 'team-b-app', blocked: true });
    assert.equal((await chat(token)).status, 401);
  });

  it('email domain and required user roles gate every token (403)', async () => {
    assertError(await api('GET', '/models', undefined, await jwt('evil-mail')), 403, {
      code: 'user_email_not_allowed',
    });
    assertError(await api('GET', '/models', undefined, await jwt('no-realm-role')), 403, {
      code: 'user_role_not_allowed',
    });
  });

  it('role_mappings on Keycloak nested roles: proxy_admin manages teams', async () => {
    const admin = await jwt('kc-admin');
    const t = await ok('POST', '/team/new', { team_id: 'made-by-idp-admin' }, admin);
    assert.equal(t.team_id, 'made-by-idp-admin');
  });

  it('proxy_admin_viewer reads every info and list route and is refused every change', async () => {
    const viewer = await jwt('kc-viewer');
    for (const path of [
      '/team/list',
      '/team/info?team_id=jwt-team-a',
      '/user/list',
      '/user/info?user_id=team-b-app',
      '/customer/list',
      '/key/list',
      '/model/info',
      '/budget/list',
      '/budget/settings?budget_id=b-none',
    ])
      assert.equal((await api('GET', path, undefined, viewer)).status, 200, path);
    assert.equal((await api('POST', '/budget/info', { budgets: ['b-none'] }, viewer)).status, 200, '/budget/info');
    const changes: [string, object][] = [
      ['/team/new', {}],
      ['/team/update', { team_id: 'jwt-team-a', rpm_limit: 1000 }],
      ['/team/delete', { team_ids: ['jwt-team-a'] }],
      ['/team/block', { team_id: 'jwt-team-a' }],
      ['/team/unblock', { team_id: 'jwt-team-a' }],
      ['/team/member_add', { team_id: 'jwt-team-a', member: { user_id: 'v' } }],
      ['/team/member_delete', { team_id: 'jwt-team-a', user_id: 'v' }],
      ['/user/new', {}],
      ['/user/update', { user_id: 'team-b-app', max_budget: 1 }],
      ['/user/delete', { user_ids: ['team-b-app'] }],
      ['/customer/new', { user_id: 'v-c' }],
      ['/customer/update', { user_id: 'v-c', max_budget: 1 }],
      ['/customer/delete', { user_ids: ['v-c'] }],
      ['/customer/block', { user_ids: ['v-c'] }],
      ['/customer/unblock', { user_ids: ['v-c'] }],
      ['/key/generate', {}],
      ['/key/update', { key: 'sk-x', max_budget: 1 }],
      ['/key/delete', { keys: ['sk-x'] }],
      ['/key/block', { key: 'sk-x' }],
      ['/key/regenerate', { key: 'sk-x' }],
      ['/budget/new', { budget_id: 'v-b' }],
      ['/budget/update', { budget_id: 'v-b', max_budget: 1 }],
      ['/budget/delete', { id: 'v-b' }],
    ];
    for (const [path, body] of changes) assertError(await api('POST', path, body, viewer), 403);
    assert.equal((await chat(viewer)).status, 403, 'a viewer calls no model');
  });

  it('proxy_admin_viewer reads every spend log row and the spend report, of every team', async () => {
    const viewer = await jwt('kc-viewer');
    let teams = new Set<string>();
    await waitFor(async () => {
      const r = await api('GET', '/spend/logs', undefined, viewer);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      teams = new Set(r.body.map((x: any) => x.team_id));
      return teams.has('jwt-team-a') && teams.has('jwt-g1');
    });
    const report = await api(
      'GET',
      '/global/spend/report?start_date=2000-01-01&end_date=2100-01-01',
      undefined,
      viewer,
    );
    assert.equal(report.status, 200, JSON.stringify(report.body));
    const reported = report.body.flatMap((d: any) => d.teams.map((t: any) => t.team_name));
    assert.ok(reported.includes('jwt-team-a') && reported.includes('jwt-g1'), JSON.stringify(reported));
  });

  it('internal_user calls models, manages its own keys and reads only its own user', async () => {
    const token = await jwt('kc-user');
    assert.equal((await chat(token)).status, 200);
    const k = await ok('POST', '/key/generate', { key_alias: 'mine-kc-user' }, token);
    assert.equal(k.user_id, 'kc-user', 'its keys belong to its user');
    await ok('POST', '/user/update', { user_id: 'kc-user', blocked: true });
    assert.equal((await chat(k.key)).status, 401, "so its user's limits bind them");
    await ok('POST', '/user/update', { user_id: 'kc-user', blocked: false });
    for (const user_id of ['team-b-app', null])
      assertError(await api('POST', '/key/generate', { user_id }, token), 403, { param: 'user_id' });
    assertError(await api('POST', '/key/update', { key: k.token, user_id: 'team-b-app' }, token), 403, {
      param: 'user_id',
    });
    const list = await ok('GET', '/key/list', undefined, token);
    assert.deepEqual(list.keys, [k.token]);
    assert.equal((await ok('GET', '/user/info', undefined, token)).user_id, 'kc-user');
    assertError(await api('GET', '/user/info?user_id=team-b-app', undefined, token), 403);
    assertError(await api('POST', '/team/new', {}, token), 403);
    // Its spend reads answer its own user's calls only (LiteLLM's internal_user spend routes).
    let own: { user: string }[] = [];
    await waitFor(
      async () => (own = (await ok('GET', '/spend/logs?user_id=kc-user', undefined, token)) as typeof own).length > 0,
      5_000,
      "kc-user's spend log rows",
    );
    assert.deepEqual([...new Set(own.map((r) => r.user))], ['kc-user']);
    assert.deepEqual(
      [...new Set(((await ok('GET', '/spend/logs', undefined, token)) as typeof own).map((r) => r.user))],
      ['kc-user'],
    );
    assertError(await api('GET', '/spend/logs?user_id=team-b-app', undefined, token), 403);
  });

  it('a team caller reads only its own team and cannot raise its own limits', async () => {
    const token = await jwt('team-a-app');
    assert.equal((await api('GET', '/team/info', undefined, token)).body.team_id, 'jwt-team-a');
    assertError(await api('GET', '/team/info?team_id=jwt-g1', undefined, token), 403);
    assertError(await api('POST', '/team/update', { team_id: 'jwt-team-a', rpm_limit: 100000 }, token), 403);
    const other = (await ok('POST', '/key/generate', { team_id: 'jwt-g1' })).token;
    assertError(await api('GET', `/key/info?key=${other}`, undefined, token), 404);
    const added = await ok('POST', '/team/member_add', { team_id: 'jwt-team-a', member: { user_id: 'm1' } }, token);
    assert.deepEqual(added.members, ['m1']);
    assertError(await api('POST', '/team/member_add', { team_id: 'jwt-g1', member: { user_id: 'm1' } }, token), 403);
  });

  it('end_user_id_jwt_field: the claim names the end user, whose block refuses the call', async () => {
    const token = await jwt('cust-app');
    assert.equal((await chat(token)).status, 200);
    await ok('POST', '/customer/block', { user_ids: ['jwt-cust'] });
    assert.equal((await chat(token)).status, 401);
  });

  it("a JWT call's spend log row names the team it was charged to and the end user of its claim", async () => {
    await ok('POST', '/team/new', { team_id: 'jwt-r1', models: ['gpt-b'] });
    await ok('POST', '/team/new', { team_id: 'jwt-r2', models: ['gpt-a'] });
    const openai = new OpenAI({
      apiKey: await jwt('groups-cust-app'),
      baseURL: `${gw.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-request-id': 'req-jwt-row-1' },
    });
    await openai.chat.completions.create({ model: 'gpt-a', messages: [{ role: 'user', content: 'hi' }] });
    const row = async () =>
      (await sql<any>(db.url, "SELECT * FROM spend_logs WHERE request_id = 'req-jwt-row-1'"))[0] as
        Record<string, unknown> | undefined;
    await waitFor(async () => (await row()) !== undefined, 10_000, 'the spend log row');
    const r = (await row())!;
    assert.equal(r.team_id, 'jwt-r2', 'the first listed team that may use the model, as its spend went');
    assert.equal(r.end_user, 'jwt-cust-row', 'end_user_id_jwt_field');
    assert.equal(r.user, 'groups-cust-app');
  });

  it('a claim naming a team or end user that no id can hold is a 401 naming the claim; such a listed group is skipped', async () => {
    for (const [app, claim] of [
      ['nul-team', 'team_id'],
      ['long-team', 'team_id'],
      ['nul-customer', 'customer'],
    ]) {
      const r = await chat(await jwt(app));
      const body = (await r.json()) as { error: { message: string } };
      assertError({ status: r.status, body, headers: r.headers }, 401, { code: 'invalid_jwt' });
      assert.match(body.error.message, new RegExp(`"${claim}" claim is no usable id`), app);
    }
    assert.equal((await chat(await jwt('odd-groups'))).status, 200);
    assert.equal((await ok('GET', '/team/info?team_id=jwt-g3')).team_info.team_id, 'jwt-g3');
  });

  it('team_id_upsert false, scope_mappings + enforce_scope_based_access, enforce_team_based_model_access', async () => {
    await ok('POST', '/team/new', { team_id: 'jwt-known' });
    await ok('POST', '/team/new', { team_id: 'jwt-team-s', models: ['gpt-a', 'gpt-b'] });
    const models = ['gpt-a', 'gpt-b']
      .map(
        (m) =>
          `  - model_name: ${m}\n    litellm_params: { model: openai/${m}, api_base: ${up.url}, api_key: sk-up-jwt }`,
      )
      .join('\n');
    strict = await startGateway(
      `model_list:
${models}
general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
  litellm_jwtauth:
    team_id_jwt_field: team_id
    team_ids_jwt_field: groups
    team_id_upsert: false
    enforce_team_based_model_access: true
    enforce_scope_based_access: true
    scope_mappings:
      - { scope: read, models: [gpt-a] }
      - { scope: write, models: [gpt-b], routes: [/key/list] }
`,
      { DATABASE_URL: db.url, JWT_PUBLIC_KEY_URL: idp.jwksUri },
    );
    const base = () => strict.url;
    const unknown = await chat(await jwt('unknown-team'), 'gpt-a', {}, base);
    assert.equal(unknown.status, 403);
    assert.equal(((await unknown.json()) as any).error.code, 'team_not_found');
    const known = await jwt('known-team', 'read');
    assert.equal((await chat(known, 'gpt-a', {}, base)).status, 403, 'its team lists no model');
    const read = await jwt('scoped', 'read');
    assert.equal((await chat(read, 'gpt-a', {}, base)).status, 200);
    assert.equal((await chat(read, 'gpt-b', {}, base)).status, 403);
    const listed = await jwt('groups-strict', 'read');
    assert.equal((await chat(listed, 'gpt-a', {}, base)).status, 200, 'a listed team not stored is passed over');
    const none = await chat(await jwt('groups-none-stored', 'read'), 'gpt-a', {}, base);
    assert.equal(none.status, 403, 'no listed team is stored');
    assert.equal(((await none.json()) as any).error.code, 'team_not_found');
    const both = await jwt('scoped', 'read write');
    assert.equal((await chat(both, 'gpt-b', {}, base)).status, 200);
    const keyList = await fetch(`${base()}/key/list`, { headers: { authorization: `Bearer ${both}` } });
    assert.equal(keyList.status, 200, 'a scope mapping grants routes too');
  });

  it('team_id_upsert false: a team deleted while its verified JWT is cached refuses the next call (403)', async () => {
    await strictApi.ok('POST', '/team/new', { team_id: 'jwt-strict-del', models: ['gpt-a'] });
    const token = await jwt('deleted-strict', 'read');
    const base = () => strict.url;
    assert.equal((await chat(token, 'gpt-a', {}, base)).status, 200);
    await strictApi.ok('POST', '/team/delete', { team_ids: ['jwt-strict-del'] });
    const refused = await strictApi.api(
      'POST',
      '/v1/chat/completions',
      {
        model: 'gpt-a',
        messages: [{ role: 'user', content: 'hi' }],
      },
      token,
    );
    assertError(refused, 403, { code: 'team_not_found', message: /jwt-strict-del.*team_id_upsert is off/ });
    assertError(await strictApi.api('GET', '/team/info?team_id=jwt-strict-del'), 404);
  });

  it("a JWT caller's member limits in its team apply (rpm_limit from /team/member_update), and go with the membership", async () => {
    const token = await jwt('cust-app');
    await ok('POST', '/customer/unblock', { user_ids: ['jwt-cust'] });
    assert.equal((await chat(token)).status, 200);
    await ok('POST', '/team/member_add', { team_id: 'jwt-team-c', member: { role: 'user', user_id: 'cust-app' } });
    await ok('POST', '/team/member_update', { team_id: 'jwt-team-c', user_id: 'cust-app', rpm_limit: 1 });
    assert.equal((await chat(token)).status, 200);
    const limited = await chat(token);
    assert.equal(limited.status, 429);
    assert.match(((await limited.json()) as { error: { message: string } }).error.message, /team member/);
    await ok('POST', '/team/member_delete', { team_id: 'jwt-team-c', user_id: 'cust-app' });
    assert.equal((await chat(token)).status, 200);
  });
});
