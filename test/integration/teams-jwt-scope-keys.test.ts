import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, managementApi } from '../support/management-api';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { openaiClient, startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-jwt-scope-keys-01';

/** With enforce_scope_based_access, a key a token makes is bounded by the models the token's scopes grant. */
describe('scope_mappings: the keys a scoped JWT makes get no model its scopes do not grant', () => {
  let idp: TestOidcProvider;
  let setup: ProxyOnDatabase;
  const { api, ok } = managementApi(() => setup.gw.url, MASTER);

  before(async () => {
    idp = await startOidcProvider({ clients: [{ clientId: 'sk-app', scope: 'read', claims: { team_id: 'sk-team' } }] });
    setup = await startProxy({
      database: 'gw_jwt_scope_keys',
      apiKey: MASTER,
      env: { JWT_PUBLIC_KEY_URL: idp.jwksUri },
      yaml: (upstream) => `model_list:
  - model_name: gpt-a
    litellm_params: { model: openai/gpt-a, api_base: ${upstream}, api_key: sk-up-scope }
  - model_name: gpt-b
    litellm_params: { model: openai/gpt-b, api_base: ${upstream}, api_key: sk-up-scope }
general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
  litellm_jwtauth:
    team_id_jwt_field: team_id
    enforce_scope_based_access: true
    scope_mappings:
      - { scope: read, models: [gpt-a], routes: [/key/generate, /key/update] }
      - { scope: write, models: [gpt-b] }
`,
    });
  });
  after(async () => {
    await setup?.close();
    await idp?.stop();
  });

  it('a key with every model, or one the scopes do not grant, is refused; a granted one works for that model only', async () => {
    const token = await idp.token('sk-app', 'read');
    assertError(await api('POST', '/key/generate', {}, token), 403, { param: 'models' });
    assertError(await api('POST', '/key/generate', { models: ['gpt-b'] }, token), 403, { param: 'models' });
    const made = await ok('POST', '/key/generate', { models: ['gpt-a'] }, token);
    assert.equal(made.team_id, 'sk-team');
    assertError(await api('POST', '/key/update', { key: made.token, models: ['gpt-a', 'gpt-b'] }, token), 403, {
      param: 'models',
    });
    const client = openaiClient(setup.gw.url, made.key);
    const messages = [{ role: 'user' as const, content: 'hi' }];
    assert.ok((await client.chat.completions.create({ model: 'gpt-a', messages })).choices.length > 0);
    await assert.rejects(client.chat.completions.create({ model: 'gpt-b', messages }), { status: 401 });
  });
});
