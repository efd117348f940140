import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, managementApi } from '../support/management-api';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { openaiClient, startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-jwt-team-model-keys-01';

/** With enforce_team_based_model_access, a key a team JWT makes is bounded by the models its team lists. */
describe('enforce_team_based_model_access: the keys a team JWT makes get no model its team does not list', () => {
  let idp: TestOidcProvider;
  let setup: ProxyOnDatabase;
  const { api, ok } = managementApi(() => setup.gw.url, MASTER);
  const messages = [{ role: 'user' as const, content: 'hi' }];

  before(async () => {
    idp = await startOidcProvider({
      clients: [
        { clientId: 'tm-none-app', claims: { team_id: 'tm-none' } },
        { clientId: 'tm-a-app', claims: { team_id: 'tm-a' } },
        { clientId: 'tm-all-app', claims: { team_id: 'tm-all' } },
        { clientId: 'tm-user-app', claims: { team_id: 'tm-a', roles: ['idp-users'], uid: 'tm-user' } },
        // An internal user whose token lacks the user id claim.
        { clientId: 'tm-nouser-app', claims: { team_id: 'tm-a', roles: ['idp-users'] } },
      ],
    });
    setup = await startProxy({
      database: 'gw_jwt_team_model_keys',
      apiKey: MASTER,
      env: { JWT_PUBLIC_KEY_URL: idp.jwksUri },
      yaml: (upstream) => `model_list:
  - model_name: gpt-a
    litellm_params: { model: openai/gpt-a, api_base: ${upstream}, api_key: sk-up-tm }
  - model_name: gpt-b
    litellm_params: { model: openai/gpt-b, api_base: ${upstream}, api_key: sk-up-tm }
general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
  litellm_jwtauth:
    team_id_jwt_field: team_id
    user_id_jwt_field: uid
    team_allowed_routes: [openai_routes, info_routes, /key/generate, /key/update]
    enforce_team_based_model_access: true
    roles_jwt_field: roles
    role_mappings:
      - { role: idp-users, internal_role: internal_user }
`,
    });
    await ok('POST', '/team/new', { team_id: 'tm-none' });
    await ok('POST', '/team/new', { team_id: 'tm-a', models: ['gpt-a'] });
    await ok('POST', '/team/new', { team_id: 'tm-all', models: ['all-proxy-models'] });
  });
  after(async () => {
    await setup?.close();
    await idp?.stop();
  });

  it('a team listing no models makes no key: its JWT may call none, and a key of it would call every one', async () => {
    const token = await idp.token('tm-none-app');
    assertError(await api('POST', '/key/generate', {}, token), 403, { param: 'models', code: 'key_scope_exceeded' });
    assertError(await api('POST', '/key/generate', { models: ['gpt-a'] }, token), 403, { param: 'models' });
  });

  it('a team listing gpt-a makes keys of gpt-a only, and changes a key to no other model', async () => {
    const token = await idp.token('tm-a-app');
    assertError(await api('POST', '/key/generate', {}, token), 403, { param: 'models' });
    assertError(await api('POST', '/key/generate', { models: ['gpt-a', 'gpt-b'] }, token), 403, { param: 'models' });
    const made = await ok('POST', '/key/generate', { models: ['gpt-a'] }, token);
    assert.equal(made.team_id, 'tm-a');
    assertError(await api('POST', '/key/update', { key: made.token, models: ['gpt-b'] }, token), 403, {
      param: 'models',
    });
    assertError(await api('POST', '/key/update', { key: made.token, models: [] }, token), 403, { param: 'models' });
    const client = openaiClient(setup.gw.url, made.key);
    assert.ok((await client.chat.completions.create({ model: 'gpt-a', messages })).choices.length > 0);
  });

  it('an internal-user JWT of a team listing gpt-a makes keys of gpt-a only', async () => {
    const token = await idp.token('tm-user-app');
    assertError(await api('POST', '/key/generate', {}, token), 403, { param: 'models' });
    assertError(await api('POST', '/key/generate', { models: ['gpt-b'] }, token), 403, { param: 'models' });
    const made = await ok('POST', '/key/generate', { models: ['gpt-a'] }, token);
    assert.deepEqual(made.models, ['gpt-a']);
  });

  it('an internal-user JWT without a user id is told its missing user id bars team keys and spend reads', async () => {
    const token = await idp.token('tm-nouser-app');
    // Not a key, and a member of no team only because no team's members can name it: the message says why.
    assertError(await api('POST', '/key/generate', { team_id: 'tm-a', models: ['gpt-a'] }, token), 403, {
      param: 'team_id',
      code: 'key_scope_exceeded',
      message: /user id.*user_id_jwt_field/,
    });
    assertError(await api('GET', '/spend/logs', undefined, token), 403, { message: /no user id.*user_id_jwt_field/ });
  });

  it('a team listing all-proxy-models makes a key of every model', async () => {
    const made = await ok('POST', '/key/generate', {}, await idp.token('tm-all-app'));
    const client = openaiClient(setup.gw.url, made.key);
    assert.ok((await client.chat.completions.create({ model: 'gpt-b', messages })).choices.length > 0);
  });

  it('an admin still makes a key of every model for a team listing none', async () => {
    const made = await ok('POST', '/key/generate', { team_id: 'tm-none' });
    assert.equal(made.team_id, 'tm-none');
  });
});
