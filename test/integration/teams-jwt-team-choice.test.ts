import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readJson } from '../support/gateway';
import { assertError, managementApi, type ApiAnswer } from '../support/management-api';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-jwt-team-choice-01';

/**
 * Which team a JWT call runs as when the token names several (its team_id_jwt_field claim and its
 * team_ids_jwt_field list), with enforce_team_based_model_access on, and what x-litellm-team-id may name.
 */
describe('JWT team choice: the team claim, the team list, the header and team-based model access', () => {
  let idp: TestOidcProvider;
  let setup: ProxyOnDatabase;
  const { ok } = managementApi(() => setup.gw.url, MASTER);
  const chat = async (clientId: string, model = 'gpt-a', headers: Record<string, string> = {}): Promise<ApiAnswer> => {
    const res = await fetch(`${setup.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await idp.token(clientId)}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
    return { status: res.status, body: await readJson(res), headers: res.headers };
  };

  before(async () => {
    idp = await startOidcProvider({
      clients: [
        { clientId: 'claim-and-one-group', claims: { team_id: 'tc-own', groups: ['tc-g1'] } },
        { clientId: 'claim-and-groups', claims: { team_id: 'tc-own', groups: ['tc-g1', 'tc-g2'] } },
        { clientId: 'one-group', claims: { groups: ['tc-g1'] } },
        { clientId: 'claim-only', claims: { team_id: 'tc-own' } },
        { clientId: 'unlisted-then-listed', claims: { groups: ['tc-none', 'tc-g2'] } },
        { clientId: 'all-models-team', claims: { team_id: 'tc-all' } },
      ],
    });
    setup = await startProxy({
      database: 'gw_jwt_team_choice',
      apiKey: MASTER,
      env: { JWT_PUBLIC_KEY_URL: idp.jwksUri },
      yaml: (upstream) => `model_list:
  - model_name: gpt-a
    litellm_params: { model: openai/gpt-a, api_base: ${upstream}, api_key: sk-up-choice }
  - model_name: gpt-b
    litellm_params: { model: openai/gpt-b, api_base: ${upstream}, api_key: sk-up-choice }
general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
  litellm_jwtauth:
    team_id_jwt_field: team_id
    team_ids_jwt_field: groups
    enforce_team_based_model_access: true
`,
    });
    await ok('POST', '/team/new', { team_id: 'tc-own', models: ['gpt-a'] });
    await ok('POST', '/team/new', { team_id: 'tc-g1', models: ['gpt-a', 'gpt-b'] });
    await ok('POST', '/team/new', { team_id: 'tc-g2', models: ['gpt-a'] });
    await ok('POST', '/team/new', { team_id: 'tc-none' });
    await ok('POST', '/team/new', { team_id: 'tc-all', models: ['all-proxy-models'] });
  });
  after(async () => {
    await setup?.close();
    await idp?.stop();
  });

  it('the team_id_jwt_field team comes first; x-litellm-team-id picks a listed group beside it, even a single one', async () => {
    await ok('POST', '/team/block', { team_id: 'tc-own' });
    assertError(await chat('claim-and-groups'), 401, { code: 'team_blocked' });
    assertError(await chat('claim-and-one-group'), 401, { code: 'team_blocked' });
    assert.equal((await chat('claim-and-one-group', 'gpt-a', { 'x-litellm-team-id': 'tc-g1' })).status, 200);
    assert.equal((await chat('claim-and-groups', 'gpt-a', { 'x-litellm-team-id': 'tc-g2' })).status, 200);
    await ok('POST', '/team/unblock', { team_id: 'tc-own' });
    assert.equal((await chat('claim-and-groups', 'gpt-b')).status, 200, 'tc-own does not list gpt-b: tc-g1 does');
  });

  it('x-litellm-team-id naming a team the token does not carry is 403, whatever number of teams it carries', async () => {
    for (const clientId of ['one-group', 'claim-only', 'claim-and-one-group', 'claim-and-groups']) {
      assertError(await chat(clientId, 'gpt-a', { 'x-litellm-team-id': 'tc-g2-not-mine' }), 403, {
        code: 'team_not_allowed',
      });
    }
    assert.equal((await chat('claim-only', 'gpt-a', { 'x-litellm-team-id': 'tc-own' })).status, 200);
    assert.equal((await chat('one-group', 'gpt-a', { 'x-litellm-team-id': 'tc-g1' })).status, 200);
  });

  it('with team-based model access enforced, a listed team that lists no model is passed over for the next', async () => {
    assert.equal((await chat('unlisted-then-listed')).status, 200, 'tc-none lists no model: tc-g2 lists gpt-a');
    assertError(await chat('unlisted-then-listed', 'gpt-b'), 403, { code: 'team_model_access_denied' });
    assertError(await chat('unlisted-then-listed', 'gpt-a', { 'x-litellm-team-id': 'tc-none' }), 403, {
      code: 'team_model_access_denied',
    });
  });

  it('a team listing all-proxy-models may use every model under team-based model access', async () => {
    assert.equal((await chat('all-models-team', 'gpt-a')).status, 200);
    assert.equal((await chat('all-models-team', 'gpt-b')).status, 200);
  });
});
