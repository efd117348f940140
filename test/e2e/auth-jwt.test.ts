import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { nowSec, signJwt, standardClaims } from '../support/auth-tokens';
import { readJson, spawnGateway, writeConfig, type SpawnedGateway } from '../support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { createTestDatabase } from '../support/postgres';
import { startUpstream, type FakeUpstream } from '../support/upstream';

/**
 * The production build (`node dist/main.js`) as a process, configured the way the seed page says: JWT auth
 * enabled in config.yaml, JWT_PUBLIC_KEY_URL (a discovery document here) and JWT_AUDIENCE in the environment.
 */
const MASTER = 'sk-e2e-auth-master-0001';

describe('e2e: JWT auth on the production build', () => {
  let idp: TestOidcProvider;
  let upstream: FakeUpstream;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let gw: SpawnedGateway;
  const issued: string[] = [];

  before(async () => {
    idp = await startOidcProvider({
      clients: [{ clientId: 'ops-admin', scope: 'litellm_proxy_admin' }, { clientId: 'team-e2e' }],
    });
    upstream = await startUpstream();
    db = await createTestDatabase();
    const file = writeConfig(`model_list:
  - model_name: azure-gpt-3.5
    litellm_params: { model: openai/gpt-upstream, api_base: ${upstream.url}, api_key: sk-upstream-e2e-secret }
general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: True
`);
    gw = await spawnGateway(['--config', file], {
      DATABASE_URL: db.url,
      JWT_PUBLIC_KEY_URL: idp.discoveryUrl,
      JWT_AUDIENCE: idp.audience,
      LOG_LEVEL: 'debug',
    });
  });
  after(async () => {
    await gw?.stop();
    await db?.drop();
    await upstream?.close();
    await idp?.stop();
  });

  it('admin JWT generates a key; team JWT chats through the official client; the upstream only ever sees its own key', async () => {
    const adminJwt = await idp.token('ops-admin', 'litellm_proxy_admin');
    issued.push(adminJwt);
    const res = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminJwt}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const key = await readJson(res);
    assert.equal(res.status, 200, JSON.stringify(key));
    assert.match(key.key, /^sk-/);

    const teamJwt = await idp.token('team-e2e', undefined, 'EdDSA');
    issued.push(teamJwt);
    const client = new OpenAI({ apiKey: teamJwt, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'azure-gpt-3.5',
      messages: [{ role: 'user', content: "What's the weather like in Boston today?" }],
    });
    assert.equal(completion.object, 'chat.completion');
    const viaKey = new OpenAI({ apiKey: key.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    assert.equal(
      (await viaKey.chat.completions.create({ model: 'azure-gpt-3.5', messages: [{ role: 'user', content: 'hi' }] }))
        .object,
      'chat.completion',
    );
    assert.equal(upstream.requests.length, 2);
    for (const r of upstream.requests) assert.equal(r.headers.authorization, 'Bearer sk-upstream-e2e-secret');
  });

  it('refuses an expired token and a team token on a management route, and logs no credential', async () => {
    const key = idp.signingKey('RS256');
    const expired = signJwt(
      'RS256',
      { kid: key.kid },
      standardClaims(idp.issuer, idp.audience, 'team-e2e', { exp: nowSec() - 5 }),
      key.privateKey,
    );
    issued.push(expired);
    const r1 = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${expired}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(r1.status, 401);
    assert.equal((await readJson(r1)).error.code, 'jwt_expired');
    const teamToken = await idp.token('team-e2e');
    issued.push(teamToken);
    const r2 = await fetch(`${gw.url}/key/list`, { headers: { authorization: `Bearer ${teamToken}` } });
    assert.equal(r2.status, 403);
    for (let i = 0; i < 250 && !gw.output().includes('"team":"team-e2e"'); i++)
      await new Promise((r) => setTimeout(r, 20)); // async log flush
    const out = gw.output();
    assert.match(out, /"role":"team"/, 'the access log names the caller role');
    assert.match(out, /"team":"team-e2e"/);
    for (const token of issued) assert.ok(!out.includes(token.split('.')[2]), 'no JWT signature in the logs');
    assert.ok(!out.includes(MASTER));
  });
});
