import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readJson } from '../support/gateway';
import { assertError, managementApi, waitFor } from '../support/management-api';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-members-self-0001';

/**
 * A team JWT allowed the member routes manages its team's members, but never its own membership: its role and
 * budget in the team are limits on its own calls. And a member that is not there cannot be deleted.
 */
describe('team members: a team caller and its own membership', () => {
  let idp: TestOidcProvider;
  let setup: ProxyOnDatabase;
  const { api, ok } = managementApi(() => setup.gw.url, MASTER);
  let token: string;
  const chat = async () => {
    const res = await fetch(`${setup.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-a', messages: [{ role: 'user', content: 'hi' }] }),
    });
    return { status: res.status, body: await readJson(res) };
  };

  before(async () => {
    idp = await startOidcProvider({
      clients: [{ clientId: 'ms-app', claims: { team_id: 'ms-team', email: 'ms-app@example.com' } }],
    });
    setup = await startProxy({
      database: 'gw_members_self',
      apiKey: MASTER,
      env: { JWT_PUBLIC_KEY_URL: idp.jwksUri },
      yaml: (upstream) => `model_list:
  - model_name: gpt-a
    litellm_params: { model: openai/gpt-a, api_base: ${upstream}, api_key: sk-up-self }
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.001 }
general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
  litellm_jwtauth:
    team_id_jwt_field: team_id
    team_allowed_routes: [openai_routes, info_routes, /team/member_add, /team/member_update, /team/member_delete]
`,
    });
    token = await idp.token('ms-app');
    await ok('POST', '/team/new', { team_id: 'ms-team' });
    await ok('POST', '/team/member_add', {
      team_id: 'ms-team',
      member: { role: 'user', user_id: 'ms-app' },
      max_budget_in_team: 0.000001,
    });
  });
  after(async () => {
    await setup?.close();
    await idp?.stop();
  });

  it('a team caller may not raise, replace or drop its own member budget (403), which keeps binding it', async () => {
    assert.equal((await chat()).status, 200);
    await waitFor(async () => (await chat()).status === 400, 5_000, 'the member budget to be reached');
    const self = { team_id: 'ms-team', user_id: 'ms-app' };
    for (const [path, body] of [
      ['/team/member_update', { ...self, max_budget_in_team: 1000 }],
      ['/team/member_update', { ...self, role: 'admin' }],
      ['/team/member_delete', self],
      ['/team/member_add', { team_id: 'ms-team', member: { role: 'user', user_id: 'ms-app' }, max_budget_in_team: 9 }],
    ] as const) {
      assertError(await api('POST', path, body, token), 403, { code: 'member_self_change' });
    }
    const refused = await chat();
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'budget_exceeded');
    const info = await ok('GET', '/team/info?team_id=ms-team');
    assert.deepEqual(
      info.team_memberships.map((m: { user_id: string }) => m.user_id),
      ['ms-app'],
    );
  });

  it("a team caller still manages its team's other members", async () => {
    await ok('POST', '/team/member_add', { team_id: 'ms-team', member: { role: 'user', user_id: 'ms-other' } }, token);
    await ok('POST', '/team/member_update', { team_id: 'ms-team', user_id: 'ms-other', max_budget_in_team: 5 }, token);
    await ok('POST', '/team/member_delete', { team_id: 'ms-team', user_id: 'ms-other' }, token);
  });

  it('deleting a user who is not a member of the team is 400 member_not_found, as LiteLLM, and changes nothing', async () => {
    assertError(await api('POST', '/team/member_delete', { team_id: 'ms-team', user_id: 'never-a-member' }), 400, {
      code: 'member_not_found',
    });
    assertError(
      await api('POST', '/team/member_delete', { team_id: 'ms-team', user_email: 'nobody@example.com' }),
      400,
      {
        code: 'member_not_found',
      },
    );
    const audit = await ok('GET', '/team/info?team_id=ms-team');
    assert.deepEqual(audit.team_info.members, ['ms-app']);
  });
});
