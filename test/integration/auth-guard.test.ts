import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { VerifiedTokenCache } from '../../src/auth/jwt/verified-token-cache';
import { sha256Hex } from '../../src/common/crypto/sha256';
import { call, keyRecord, startProbe, type Probe } from '../support/auth-probe';
import { nowSec, signJwt, standardClaims } from '../support/auth-tokens';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';

const MASTER = 'sk-probe-master-key-1234';
const YAML = `general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
`;

describe('auth guard (real OpenID provider, JWKS URL)', () => {
  let idp: TestOidcProvider;
  let probe: Probe;
  let adminJwt: string;
  let teamJwt: string;

  before(async () => {
    idp = await startOidcProvider({
      clients: [{ clientId: 'admin-cli', scope: 'litellm_proxy_admin' }, { clientId: 'team-a' }],
    });
    probe = await startProbe(YAML, {
      JWT_PUBLIC_KEY_URL: idp.jwksUri,
      JWT_AUDIENCE: idp.audience,
      JWT_ISSUER: idp.issuer,
    });
    adminJwt = await idp.token('admin-cli', 'litellm_proxy_admin');
    teamJwt = await idp.token('team-a');
  });
  after(async () => {
    await probe?.close();
    await idp?.stop();
  });

  it('answers 401 without a credential and lets public routes through', async () => {
    const r = await call(probe.url, '/key/info');
    assert.equal(r.status, 401);
    assert.equal(r.body.error?.type, 'authentication_error');
    assert.equal(r.body.error?.code, 'missing_api_key');
    for (const path of ['/health/liveliness', '/health/liveness', '/health/readiness', '/metrics']) {
      assert.equal((await call(probe.url, path)).status, 200, path);
    }
  });

  it('lets the master key call every route, including routes in no group', async () => {
    for (const [path, method] of [
      ['/key/generate', 'POST'],
      ['/chat/completions', 'POST'],
      ['/spend/logs', 'GET'],
      ['/openai/deployments/gpt/embeddings', 'POST'],
    ] as const) {
      const r = await call(probe.url, path, MASTER, method);
      assert.equal(r.status, 200, path);
      assert.deepEqual(r.body.caller, { role: 'master', via: 'master_key', scopes: [] });
    }
  });

  it('admin JWT: management and info routes, not model routes; caller names sub and client', async () => {
    const ok = await call(probe.url, '/key/generate', adminJwt, 'POST');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.caller?.role, 'admin');
    assert.equal(ok.body.caller?.via, 'jwt');
    assert.equal(ok.body.caller?.subject, 'admin-cli');
    assert.equal(ok.body.caller?.clientId, 'admin-cli');
    assert.deepEqual(ok.body.caller?.scopes, ['litellm_proxy_admin']);
    for (const path of ['/key/list', '/key/info', '/model/info', '/v1/model/info', '/health'])
      assert.equal((await call(probe.url, path, adminJwt)).status, 200, path);
    const refused = await call(probe.url, '/v1/chat/completions', adminJwt, 'POST');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error?.type, 'permission_error');
    assert.match(refused.body.error.message, /\/v1\/chat\/completions/);
    assert.match(refused.body.error.message, /role "admin"/);
  });

  it('team JWT: openai + info routes (also /v1 and the Azure form), not management routes', async () => {
    for (const [path, method] of [
      ['/chat/completions', 'POST'],
      ['/v1/chat/completions', 'POST'],
      ['/openai/deployments/gpt-4o/chat/completions', 'POST'],
      ['/v1/embeddings', 'POST'],
      ['/models', 'GET'],
      ['/key/info', 'GET'],
    ] as const) {
      const r = await call(probe.url, path, teamJwt, method);
      assert.equal(r.status, 200, path);
      assert.equal(r.body.caller?.role, 'team');
      assert.equal(r.body.caller?.teamId, 'team-a');
      assert.equal(r.body.caller?.userId, 'team-a');
    }
    const refused = await call(probe.url, '/key/generate', teamJwt, 'POST');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error?.code, 'route_not_allowed');
    assert.match(refused.body.error.message, /\/key\/generate.*role "team"/);
    assert.equal((await call(probe.url, '/spend/logs', teamJwt)).status, 403);
  });

  it('reads the credential from api-key and x-litellm-api-key too', async () => {
    for (const header of ['api-key', 'x-litellm-api-key']) {
      assert.equal((await call(probe.url, '/models', { header, value: teamJwt })).status, 200, header);
      assert.equal((await call(probe.url, '/key/list', { header, value: MASTER })).status, 200, header);
    }
  });

  it('verifies PS256, ES256 and EdDSA access tokens from the provider', async () => {
    for (const alg of ['PS256', 'ES256', 'EdDSA'] as const) {
      const token = await idp.token('team-a', undefined, alg);
      assert.equal(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).alg, alg);
      const r = await call(probe.url, '/models', token);
      assert.equal(r.status, 200, alg);
      assert.equal(r.body.caller?.teamId, 'team-a');
    }
  });

  it('refuses a valid JWT with neither the admin scope nor the team claim with 403 naming both claims', async () => {
    const key = idp.signingKey('RS256');
    const token = signJwt(
      'RS256',
      { kid: key.kid },
      { iss: idp.issuer, aud: idp.audience, sub: 'someone', exp: nowSec() + 300, scope: 'read' },
      key.privateKey,
    );
    const r = await call(probe.url, '/models', token);
    assert.equal(r.status, 403);
    assert.equal(r.body.error?.code, 'jwt_no_role');
    assert.match(r.body.error.message, /litellm_proxy_admin/);
    assert.match(r.body.error.message, /client_id/);
  });

  it('accepts the admin scope from "scp" as an array', async () => {
    const key = idp.signingKey('ES256');
    const token = signJwt(
      'ES256',
      { kid: key.kid },
      standardClaims(idp.issuer, idp.audience, 'ops', { scp: ['read', 'litellm_proxy_admin'] }),
      key.privateKey,
    );
    const r = await call(probe.url, '/key/list', token);
    assert.equal(r.status, 200);
    assert.equal(r.body.caller?.role, 'admin');
  });

  it('virtual keys: openai + info by default, their own allowed_routes instead when set', async () => {
    probe.addKey(keyRecord(sha256Hex('sk-default-key-1'), { teamId: 'team-1', userId: 'u-1' }));
    probe.addKey(keyRecord(sha256Hex('sk-custom-key-1'), { allowedRoutes: ['/key/info', '/spend/*'] }));
    const ok = await call(probe.url, '/v1/chat/completions', 'sk-default-key-1', 'POST');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.caller, {
      role: 'virtual_key',
      via: 'virtual_key',
      token: sha256Hex('sk-default-key-1'),
      teamId: 'team-1',
      userId: 'u-1',
      scopes: [],
    });
    assert.equal((await call(probe.url, '/key/generate', 'sk-default-key-1', 'POST')).status, 403);
    assert.equal((await call(probe.url, '/spend/logs', 'sk-custom-key-1')).status, 200);
    assert.equal((await call(probe.url, '/key/info', 'sk-custom-key-1')).status, 200);
    const refused = await call(probe.url, '/chat/completions', 'sk-custom-key-1', 'POST');
    assert.equal(refused.status, 403);
    assert.match(refused.body.error!.message, /role "virtual_key"/);
  });

  it('virtual keys: unknown, blocked and expired keys are 401, the expired one saying so', async () => {
    probe.addKey(keyRecord(sha256Hex('sk-blocked-key-1'), { blocked: true }));
    probe.addKey(keyRecord(sha256Hex('sk-expired-key-1'), { expires: new Date(Date.now() - 1000) }));
    const before = probe.state.calls;
    const unknown = await call(probe.url, '/models', 'sk-no-such-key');
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error?.code, 'invalid_api_key');
    const blocked = await call(probe.url, '/models', 'sk-blocked-key-1');
    assert.equal(blocked.status, 401);
    assert.match(blocked.body.error!.message, /blocked/);
    const expired = await call(probe.url, '/models', 'sk-expired-key-1');
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error?.code, 'key_expired');
    assert.match(expired.body.error.message, /expired/);
    assert.equal(probe.state.calls, before, 'no refused request reached a handler');
  });

  it('refuses credentials of no known form with 401', async () => {
    for (const bad of ['not-a-key', 'Basic-ish', 'a.b', 'x'.repeat(300)]) {
      const r = await call(probe.url, '/models', bad);
      assert.equal(r.status, 401, bad.slice(0, 20));
    }
    const basic = await fetch(`${probe.url}/models`, {
      headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` },
    });
    assert.equal(basic.status, 401);
  });

  it('caches a verified token (only that very token), and never past its exp', async () => {
    const cache = probe.app.get(VerifiedTokenCache);
    const key = idp.signingKey('RS256');
    const token = signJwt(
      'RS256',
      { kid: key.kid },
      standardClaims(idp.issuer, idp.audience, 'short-lived', { exp: nowSec() + 2 }),
      key.privateKey,
    );
    const sizeBefore = cache.size;
    assert.equal((await call(probe.url, '/models', token)).status, 200);
    assert.equal(cache.size, sizeBefore + 1);
    assert.ok(cache.get(token), 'cached');
    // Its signature on another header or payload is not a hit: that token is verified, and refused.
    const [head, , sig] = token.split('.');
    const other = Buffer.from(
      JSON.stringify(
        standardClaims(idp.issuer, idp.audience, 'someone-else', { exp: nowSec() + 60, scope: 'litellm_proxy_admin' }),
      ),
    ).toString('base64url');
    for (const forged of [
      `${head}.${other}.${sig}`,
      `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${token.split('.')[1]}.${sig}`,
    ]) {
      assert.equal(cache.get(forged), undefined);
      assert.equal((await call(probe.url, '/models', forged)).status, 401);
      assert.equal((await call(probe.url, '/key/list', forged)).status, 401);
    }
    assert.equal((await call(probe.url, '/models', token)).status, 200);
    await new Promise((r) => setTimeout(r, (nowSec() + 3) * 1000 - Date.now()));
    const late = await call(probe.url, '/models', token);
    assert.equal(late.status, 401);
    assert.equal(late.body.error?.code, 'jwt_expired');
  });

  it('never writes a credential into the logs', async () => {
    const text = probe.logs.text();
    assert.ok(text.includes('"role":"team"') || text.includes('credential refused'), 'logs were captured');
    for (const secret of [MASTER, adminJwt, teamJwt, 'sk-default-key-1', adminJwt.split('.')[2]])
      assert.ok(!text.includes(secret));
  });
});

describe('auth guard: the forged-token matrix (each 401, nothing reaches a handler)', () => {
  let idp: TestOidcProvider;
  let probe: Probe;
  const forged: Record<string, string> = {};

  before(async () => {
    idp = await startOidcProvider({ clients: [{ clientId: 'team-a' }] });
    // Dozens of forged tokens from one address on purpose: the per-address limit of failed credentials (429 after
    // max_auth_failures_per_minute; tested in keys-scale) would answer the later ones.
    probe = await startProbe(`${YAML}  max_auth_failures_per_minute: 0\n`, {
      JWT_PUBLIC_KEY_URL: idp.jwksUri,
      JWT_AUDIENCE: idp.audience,
      JWT_ISSUER: idp.issuer,
    });
    const real = await idp.token('team-a');
    const key = idp.signingKey('RS256');
    const claims = (extra: Record<string, unknown> = {}) => standardClaims(idp.issuer, idp.audience, 'team-a', extra);
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const publicPem = (await import('node:crypto'))
      .createPublicKey(key.privateKey)
      .export({ format: 'pem', type: 'spki' }) as string;
    forged['alg none'] = signJwt('none', { kid: key.kid }, claims());
    forged['alg none (uppercase)'] = signJwt('none', { alg: 'NONE', kid: key.kid }, claims());
    forged['HS256 with the public key PEM as secret'] = signJwt('HS256', { kid: key.kid }, claims(), publicPem);
    forged['HS256 with the public JWK as secret'] = signJwt(
      'HS256',
      { kid: key.kid },
      claims(),
      JSON.stringify(key.publicJwk),
    );
    forged['signed by an unknown key (unknown kid)'] = signJwt(
      'RS256',
      { kid: 'not-a-provider-key' },
      claims(),
      stranger,
    );
    forged['signed by an unknown key (provider kid)'] = signJwt('RS256', { kid: key.kid }, claims(), stranger);
    forged['signed by an unknown key (no kid)'] = signJwt('RS256', {}, claims(), stranger);
    forged['expired'] = signJwt(
      'RS256',
      { kid: key.kid },
      claims({ iat: nowSec() - 600, exp: nowSec() - 60 }),
      key.privateKey,
    );
    forged['not yet valid'] = signJwt('RS256', { kid: key.kid }, claims({ nbf: nowSec() + 300 }), key.privateKey);
    forged['wrong aud'] = signJwt('RS256', { kid: key.kid }, claims({ aud: 'another-api' }), key.privateKey);
    forged['wrong iss'] = signJwt('RS256', { kid: key.kid }, claims({ iss: 'https://evil.example' }), key.privateKey);
    forged['no exp'] = signJwt('RS256', { kid: key.kid }, claims({ exp: undefined }), key.privateKey);
    forged['garbage'] = 'abc.def.ghi';
    forged['garbage JSON'] = `${Buffer.from('{"alg":"RS256"').toString('base64url')}.e30.c2ln`;
    forged['truncated'] = real.slice(0, -12);
    forged['payload swapped'] = [
      real.split('.')[0],
      Buffer.from(JSON.stringify(claims({ scope: 'litellm_proxy_admin' }))).toString('base64url'),
      real.split('.')[2],
    ].join('.');
    forged['unsupported crit header'] = signJwt(
      'RS256',
      { kid: key.kid, crit: ['urn:example:critical'], 'urn:example:critical': true },
      claims(),
      key.privateKey,
    );
    forged['crit b64'] = signJwt('RS256', { kid: key.kid, crit: ['b64'], b64: false }, claims(), key.privateKey);
    // Correctly signed, but the claims are not an object (jsonwebtoken threw on these in a promise callback: the process exited).
    forged['signed null claims'] = signJwt('RS256', { kid: key.kid, typ: 'JWT' }, null as never, key.privateKey);
    forged['signed array claims'] = signJwt('RS256', { kid: key.kid, typ: 'JWT' }, [claims()] as never, key.privateKey);
    forged['signed string claims'] = signJwt('RS256', { kid: key.kid, typ: 'JWT' }, 'admin' as never, key.privateKey);
    forged['RS256 header on the EC key'] = signJwt(
      'RS256',
      { kid: idp.signingKey('ES256').kid },
      claims(),
      key.privateKey,
    );
  });
  after(async () => {
    await probe?.close();
    await idp?.stop();
  });

  it('a genuine token passes (control)', async () => {
    const r = await call(probe.url, '/v1/chat/completions', await idp.token('team-a'), 'POST');
    assert.equal(r.status, 200);
  });

  it('every forged token is refused with 401 in the OpenAI error shape', async () => {
    const before = probe.state.calls;
    for (const [name, token] of Object.entries(forged)) {
      for (const [path, method] of [
        ['/v1/chat/completions', 'POST'],
        ['/key/list', 'GET'],
      ] as const) {
        const r = await call(probe.url, path, token, method);
        assert.equal(r.status, 401, `${name} on ${path}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(Object.keys(r.body.error ?? {}).sort(), ['code', 'message', 'param', 'type'], name);
        assert.equal(r.body.error?.type, 'authentication_error', name);
        assert.ok(
          !r.body.error.message.includes(token.split('.')[1] || token),
          `${name}: message must not echo the token`,
        );
      }
    }
    assert.equal(probe.state.calls, before, 'no forged token reached a handler');
  });

  it('names the reason for the common refusals', async () => {
    const reason = async (name: string) => (await call(probe.url, '/models', forged[name])).body.error;
    assert.match((await reason('alg none'))!.message, /alg "none"/);
    assert.match((await reason('HS256 with the public key PEM as secret'))!.message, /symmetric algorithm HS256/);
    assert.equal((await reason('expired'))!.code, 'jwt_expired');
    assert.equal((await reason('not yet valid'))!.code, 'jwt_not_yet_valid');
    assert.match((await reason('wrong aud'))!.message, /audience/);
    assert.match((await reason('wrong iss'))!.message, /issuer/);
    // The values the gateway accepts are not told to a caller it has not authenticated.
    assert.ok(
      !(await reason('wrong aud'))!.message.includes(idp.audience) &&
        !(await reason('wrong iss'))!.message.includes(idp.issuer),
    );
    assert.match((await reason('unsupported crit header'))!.message, /crit/);
    assert.match((await reason('no exp'))!.message, /exp/);
  });
});

describe('auth guard: JWT auth disabled', () => {
  let idp: TestOidcProvider;
  let probe: Probe;
  before(async () => {
    idp = await startOidcProvider({ clients: [{ clientId: 'team-a' }] });
    probe = await startProbe(`general_settings:\n  master_key: ${MASTER}\n`, { JWT_PUBLIC_KEY_URL: idp.jwksUri });
  });
  after(async () => {
    await probe?.close();
    await idp?.stop();
  });

  it('treats a genuine JWT as a bad credential (401) when enable_jwt_auth is false', async () => {
    const r = await call(probe.url, '/models', await idp.token('team-a'));
    assert.equal(r.status, 401);
    assert.match(r.body.error!.message, /JWT auth is not enabled/);
    assert.equal(idp.jwksRequests(), 0, 'the JWKS is not even fetched');
    assert.equal((await call(probe.url, '/models', MASTER)).status, 200);
  });
});

describe('auth guard: a master key shaped like a JWT', () => {
  const JWT_SHAPED_MASTER = 'master.key-with.three-parts';
  let idp: TestOidcProvider;
  let probe: Probe;
  before(async () => {
    idp = await startOidcProvider({ clients: [{ clientId: 'team-a' }] });
    probe = await startProbe(`general_settings:\n  master_key: ${JWT_SHAPED_MASTER}\n  enable_jwt_auth: true\n`, {
      JWT_PUBLIC_KEY_URL: idp.jwksUri,
      JWT_AUDIENCE: idp.audience,
      JWT_ISSUER: idp.issuer,
    });
  });
  after(async () => {
    await probe?.close();
    await idp?.stop();
  });

  it('is still the master key (checked before any JWT), and real JWTs still verify', async () => {
    const master = await call(probe.url, '/key/list', JWT_SHAPED_MASTER);
    assert.equal(master.status, 200);
    assert.equal(master.body.caller?.role, 'master');
    assert.equal((await call(probe.url, '/key/list', 'master.key-with.three-partz')).status, 401);
    const token = await idp.token('team-a');
    for (let i = 0; i < 2; i++) assert.equal((await call(probe.url, '/models', token)).status, 200); // cold, then cached
  });
});
