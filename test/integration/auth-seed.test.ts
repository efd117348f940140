import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { call } from '../support/auth-probe';
import { signJwt, standardClaims } from '../support/auth-tokens';
import { readJson, type InProcessGateway } from '../support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import type { FakeUpstream } from '../support/upstream';

/**
 * The seed page's steps, end to end on the full gateway (real keys module on PostgreSQL, real proxy), with
 * tokens from a real OpenID provider found through its discovery document.
 */
const MASTER = 'sk-seed-master-key-0001';
const CHAT = {
  model: 'azure-gpt-3.5',
  messages: [{ role: 'user', content: "What's the weather like in Boston today?" }],
};

function post(url: string, path: string, token: string, body: unknown): Promise<Response> {
  return fetch(url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('seed steps: admin and team JWTs on the full gateway', () => {
  let idp: TestOidcProvider;
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;
  let adminJwt: string;
  let teamJwt: string;

  before(async () => {
    idp = await startOidcProvider({
      clients: [{ clientId: 'gateway-admin', scope: 'litellm_proxy_admin' }, { clientId: 'team-a' }],
    });
    setup = await startProxy({
      database: 'gw_test',
      apiKey: MASTER,
      env: { JWT_PUBLIC_KEY_URL: idp.discoveryUrl, JWT_AUDIENCE: idp.audience, JWT_ISSUER: idp.issuer },
      yaml: `general_settings:\n  master_key: ${MASTER}\n  enable_jwt_auth: true\n`,
    });
    ({ gw } = setup);
    adminJwt = await idp.token('gateway-admin', 'litellm_proxy_admin');
    teamJwt = await idp.token('team-a');
  });
  after(async () => {
    await setup?.close();
    await idp?.stop();
  });

  it('admin JWT -> POST /key/generate answers 200 with a key', async () => {
    const res = await post(gw.url, '/key/generate', adminJwt, {});
    const body = await readJson(res);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.match(body.key, /^sk-/);
    assert.match(body.token, /^[0-9a-f]{64}$/);
    // The new key passes the guard on a model route (no model is configured: an OpenAI error, not 401/403).
    const chat = await post(gw.url, '/v1/chat/completions', body.key, CHAT);
    assert.ok(![401, 403].includes(chat.status), `virtual key refused: ${chat.status}`);
    assert.deepEqual(Object.keys((await readJson(chat)).error).sort(), ['code', 'message', 'param', 'type']);
  });

  it('team JWT -> POST /v1/chat/completions passes the guard (the official openai client)', async () => {
    const client = new OpenAI({ apiKey: teamJwt, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const err = await client.chat.completions.create(CHAT as never).then(
      () => assert.fail('no model is configured: the call cannot succeed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.ok(err.status !== 401 && err.status !== 403, `refused by the guard: ${err.status} ${err.message}`);
    assert.ok(err.status! >= 400 && err.status! < 500);
    assert.equal(typeof (err.error as { message?: unknown }).message, 'string');
  });

  it('team JWT -> /key/generate is 403 naming the route and the role', async () => {
    const res = await post(gw.url, '/key/generate', teamJwt, {});
    const body = await readJson(res);
    assert.equal(res.status, 403);
    assert.equal(body.error.type, 'permission_error');
    assert.match(body.error.message, /\/key\/generate/);
    assert.match(body.error.message, /role "team"/);
  });

  it('admin JWT may not call model routes by default (admin_allowed_routes = management + info)', async () => {
    const res = await post(gw.url, '/v1/chat/completions', adminJwt, CHAT);
    assert.equal(res.status, 403);
    assert.equal((await call(gw.url, '/key/list', adminJwt)).status, 200);
  });

  it('a forged token is 401 on the management routes', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forged = signJwt(
      'RS256',
      { kid: idp.signingKey().kid },
      standardClaims(idp.issuer, idp.audience, 'gateway-admin', { scope: 'litellm_proxy_admin' }),
      stranger,
    );
    assert.equal((await call(gw.url, '/key/list', forged)).status, 401);
    assert.equal((await post(gw.url, '/key/generate', forged, {})).status, 401);
  });
});

describe('seed steps: general_settings.allowed_routes for team JWTs, and nothing forwarded for a bad token', () => {
  let idp: TestOidcProvider;
  let upstream: FakeUpstream;
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;
  let teamJwt: string;

  before(async () => {
    idp = await startOidcProvider({ clients: [{ clientId: 'team-b' }] });
    setup = await startProxy({
      database: 'gw_test',
      apiKey: MASTER,
      env: { JWT_PUBLIC_KEY_URL: idp.jwksUri, JWT_AUDIENCE: idp.audience },
      yaml: (up) => `model_list:
  - model_name: gpt-test
    litellm_params: { model: openai/gpt-upstream, api_base: ${up}, api_key: sk-upstream-secret-1 }
general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
  allowed_routes: ["/chat/completions", "/embeddings"]
`,
    });
    ({ up: upstream, gw } = setup);
    teamJwt = await idp.token('team-b', undefined, 'ES256');
  });
  after(async () => {
    await setup?.close();
    await idp?.stop();
  });

  it('lets the team call /v1/chat/completions and /embeddings, but not /models', async () => {
    const client = new OpenAI({ apiKey: teamJwt, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(upstream.requests.length, 1);
    assert.equal(
      upstream.requests[0].headers.authorization,
      'Bearer sk-upstream-secret-1',
      'the upstream gets its own key, not the JWT',
    );
    const emb = await post(gw.url, '/embeddings', teamJwt, { model: 'gpt-test', input: 'hello' });
    assert.ok(![401, 403].includes(emb.status), `embeddings refused: ${emb.status}`);
    const models = await client.models.list().then(
      () => assert.fail('/models must be refused'),
      (e: unknown) => e,
    );
    assert.ok(models instanceof OpenAI.PermissionDeniedError, String(models));
    assert.match(models.message, /\/v1\/models/);
  });

  it('forwards nothing for a forged, expired or unsigned token', async () => {
    const key = idp.signingKey('ES256');
    const before = upstream.requests.length;
    const claims = standardClaims(idp.issuer, idp.audience, 'team-b');
    for (const token of [
      signJwt('none', { kid: key.kid }, claims),
      signJwt('ES256', { kid: key.kid }, claims, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
      signJwt('ES256', { kid: key.kid }, { ...claims, exp: claims.iat }, key.privateKey),
    ]) {
      const res = await post(gw.url, '/v1/chat/completions', token, {
        model: 'gpt-test',
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.equal(res.status, 401);
    }
    assert.equal(upstream.requests.length, before, 'nothing reached the upstream');
  });
});
