import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  classifyCredential,
  digestsEqual,
  extractCredential,
  looksLikeJwt,
  signatureStart,
} from '../../src/auth/credentials/credential';
import { sha256Hex } from '../../src/common/crypto/sha256';
import { parseJoseHeader } from '../../src/auth/jwt/jose-header';
import { isAllowedAlgorithm, keyFitsAlgorithm } from '../../src/auth/jwt/jwt-algorithms';
import { callerFromClaims, claimString, parseScopes, scopeRoutes } from '../../src/auth/jwt/jwt-claims';
import { JwtRejection } from '../../src/auth/jwt/jwt-rejection';
import { GatewayError } from '../../src/common/errors/gateway-error';
import { b64url } from '../support/auth-tokens';

describe('extractCredential', () => {
  it('reads x-litellm-api-key, then Authorization: Bearer (any case, extra blanks), then api-key', () => {
    assert.equal(extractCredential({ authorization: 'Bearer sk-1' }), 'sk-1');
    assert.equal(extractCredential({ authorization: 'bearer   sk-2  ' }), 'sk-2');
    assert.equal(extractCredential({ authorization: 'BEARER\tsk-3' }), 'sk-3');
    assert.equal(extractCredential({ 'api-key': ' sk-4 ' }), 'sk-4');
    assert.equal(extractCredential({ 'x-litellm-api-key': 'sk-5' }), 'sk-5');
    // As LiteLLM: x-litellm-api-key names the gateway's credential when Authorization carries a provider's token.
    assert.equal(
      extractCredential({ authorization: 'Bearer ya29.provider', 'api-key': 'sk-b', 'x-litellm-api-key': 'sk-c' }),
      'sk-c',
    );
    assert.equal(extractCredential({ 'api-key': 'sk-b', 'x-litellm-api-key': 'sk-c' }), 'sk-c');
    assert.equal(extractCredential({ authorization: 'Bearer sk-a', 'api-key': 'sk-b' }), 'sk-a');
    assert.equal(extractCredential({ authorization: 'Bearer sk-a', 'x-litellm-api-key': ' ' }), 'sk-a');
  });

  it('ignores other schemes and empty values', () => {
    assert.equal(extractCredential({}), undefined);
    assert.equal(extractCredential({ authorization: 'Basic dTpw' }), undefined);
    assert.equal(extractCredential({ authorization: 'Basic dTpw', 'api-key': 'sk-x' }), 'sk-x');
    assert.equal(extractCredential({ authorization: 'Bearer ' }), undefined);
    assert.equal(extractCredential({ authorization: 'Bearersk-1' }), undefined);
    assert.equal(extractCredential({ 'api-key': '   ' }), undefined);
  });
});

describe('classifyCredential (master key, then sk- virtual key, then JWT)', () => {
  const master = 'sk-master-1234';
  const opts = { masterDigest: sha256Hex(master), jwtEnabled: true };
  const kind = (token: string, o = opts) => classifyCredential(token, sha256Hex(token), o);

  it('master key first, then sk- virtual keys, then JWT-shaped tokens when JWT auth is on', () => {
    assert.equal(kind(master), 'master-key');
    assert.equal(kind('sk-other'), 'virtual-key');
    assert.equal(kind('aaa.bbb.ccc'), 'jwt');
    assert.equal(kind('aaa.bbb.'), 'jwt', 'an unsigned token is classified as a JWT, then refused by the JWT check');
    assert.equal(kind('plain-secret'), null);
    assert.equal(kind('a.b'), null);
    assert.equal(kind('a.b.c.d'), null);
    assert.equal(kind('.b.c'), null);
    assert.equal(kind('a..c'), null);
  });

  it('compares the master key by digest, whatever its form', () => {
    const jwtShaped = 'aa.bb.cc';
    assert.equal(
      classifyCredential(jwtShaped, sha256Hex(jwtShaped), { masterDigest: sha256Hex(jwtShaped), jwtEnabled: true }),
      'master-key',
    );
    assert.equal(
      classifyCredential(master, sha256Hex(master), { masterDigest: null, jwtEnabled: true }),
      'virtual-key',
    );
  });

  it('treats JWT-shaped tokens as no credential when JWT auth is off', () => {
    assert.equal(kind('aaa.bbb.ccc', { ...opts, jwtEnabled: false }), null);
    assert.ok(looksLikeJwt('aaa.bbb.ccc'));
  });

  it('finds where the signature of a JWT-shaped token starts', () => {
    assert.equal(signatureStart('aaa.bbb.ccc'), 8);
    assert.equal(signatureStart('aaa.bbb.'), 8); // alg none: an empty signature
    for (const not of ['aaa.bbb', '.bbb.ccc', 'aaa..ccc', 'a.b.c.d', 'abc', ''])
      assert.equal(signatureStart(not), -1, not);
  });

  it('digestsEqual', () => {
    assert.ok(digestsEqual(sha256Hex('x'), sha256Hex('x')));
    assert.ok(!digestsEqual(sha256Hex('x'), sha256Hex('y')));
    assert.ok(!digestsEqual('ab', 'abc'));
  });
});

describe('JWT claims', () => {
  const settings = { adminScope: 'litellm_proxy_admin', teamIdField: 'client_id', userIdField: 'sub' };

  it('parses scope and scp, as strings or arrays; a string splits on spaces only, as OAuth defines it', () => {
    assert.deepEqual(parseScopes({ scope: 'a  b c' }), ['a', 'b', 'c']);
    assert.deepEqual(parseScopes({ scope: 'a b\tc d\ne' }), ['a', 'b\tc', 'd\ne']);
    assert.deepEqual(parseScopes({ scope: ['a', 'b', 3, ''] }), ['a', 'b']);
    assert.deepEqual(parseScopes({ scp: 'x y', scope: 'y z' }), ['y', 'z', 'x']);
    assert.deepEqual(parseScopes({}), []);
  });

  it('reads claims by name, or by dotted path when no claim has the name', () => {
    assert.equal(claimString({ 'a.b': 'flat', a: { b: 'nested' } }, 'a.b'), 'flat');
    assert.equal(claimString({ a: { b: 'nested' } }, 'a.b'), 'nested');
    assert.equal(claimString({ team: 42 }, 'team'), '42');
    assert.equal(claimString({ team: '' }, 'team'), undefined);
    assert.equal(claimString({ team: { id: 1 } }, 'team'), undefined);
  });

  it('only a space separates scopes: no admin scope smuggled beside another by a comma or other whitespace', () => {
    const smuggled = [
      'read\tlitellm_proxy_admin',
      'read\nlitellm_proxy_admin',
      'litellm_proxy_admin,x',
      'read,litellm_proxy_admin',
      'read;litellm_proxy_admin',
      'read\u00a0litellm_proxy_admin',
      'read\u3000litellm_proxy_admin',
      'read\rlitellm_proxy_admin',
      'read\vlitellm_proxy_admin',
      'read\flitellm_proxy_admin',
      'read\u2003litellm_proxy_admin',
    ];
    for (const scope of smuggled) {
      assert.deepEqual(parseScopes({ scope }), [scope], JSON.stringify(scope));
      assert.notEqual(callerFromClaims({ sub: 'u', client_id: 'team-1', scope }, settings)?.role, 'admin', scope);
      // An array element is one scope, whatever it holds.
      assert.notEqual(callerFromClaims({ sub: 'u', client_id: 'team-1', scp: [scope] }, settings)?.role, 'admin');
    }
    assert.deepEqual(parseScopes({ scp: ['read litellm_proxy_admin'] }), ['read litellm_proxy_admin']);
    // The same for the scopes scope_mappings grant by.
    const mapped = {
      ...settings,
      enforceScopeBasedAccess: true,
      scopeMappings: [{ scope: 'llm.keys', models: ['m'], routes: ['/key/list'] }],
    };
    for (const scope of ['llm.chat,llm.keys', 'llm.chat\tllm.keys', 'llm.chat\u00a0llm.keys'])
      assert.deepEqual(scopeRoutes(parseScopes({ scope }), mapped), [], JSON.stringify(scope));
    assert.deepEqual(scopeRoutes(parseScopes({ scope: 'llm.chat llm.keys' }), mapped), ['/key/list']);
    assert.equal(callerFromClaims({ sub: 'u', scope: 'read litellm_proxy_admin' }, settings).role, 'admin');
  });

  it('admin scope makes an admin, else the team claim a team caller, with user, subject and client recorded', () => {
    const admin = callerFromClaims({ sub: 'ops', client_id: 'cli', scope: 'openid litellm_proxy_admin' }, settings);
    assert.deepEqual(admin, {
      role: 'admin',
      via: 'jwt',
      userId: 'ops',
      subject: 'ops',
      clientId: 'cli',
      scopes: ['openid', 'litellm_proxy_admin'],
    });
    const teamCaller = callerFromClaims({ sub: 'u1', azp: 'app', client_id: 'team-x' }, settings);
    assert.equal(teamCaller.role, 'team');
    assert.equal(teamCaller.teamId, 'team-x');
    assert.equal(teamCaller.clientId, 'team-x');
    const custom = callerFromClaims(
      { sub: 's', org: { team: 't-9' }, email: 'e@x' },
      { adminScope: 'root', teamIdField: 'org.team', userIdField: 'email' },
    );
    assert.deepEqual([custom.role, custom.teamId, custom.userId, custom.clientId], ['team', 't-9', 'e@x', undefined]);
    assert.equal(callerFromClaims({ azp: 'p', scp: ['root'] }, { ...settings, adminScope: 'root' }).role, 'admin');
  });

  it('refuses a token with neither with 403 naming the claims looked for', () => {
    assert.throws(
      () => callerFromClaims({ sub: 'x', scope: 'read' }, settings),
      (err: unknown) =>
        err instanceof GatewayError &&
        err.status === 403 &&
        /"litellm_proxy_admin"/.test(err.message) &&
        /"client_id"/.test(err.message),
    );
  });
});

describe('JWS header checks (RFC 8725)', () => {
  const token = (header: unknown) => `${b64url(header)}.e30.c2ln`;
  const refused = (header: unknown, pattern: RegExp) =>
    assert.throws(
      () => parseJoseHeader(typeof header === 'string' ? header : token(header)),
      (e: unknown) => e instanceof JwtRejection && pattern.test(e.message),
    );

  it('accepts asymmetric algorithms only', () => {
    assert.deepEqual(parseJoseHeader(token({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' })), { alg: 'RS256', kid: 'k1' });
    assert.deepEqual(parseJoseHeader(token({ alg: 'EdDSA' })), { alg: 'EdDSA' });
    refused({ alg: 'none' }, /alg "none"/);
    refused({ alg: 'None' }, /alg "none"/);
    refused({ alg: 'HS256' }, /symmetric/);
    refused({ alg: 'hs512' }, /symmetric/);
    refused({ alg: 'RSA-OAEP' }, /not supported/);
    refused({ kid: 'x' }, /no "alg"/);
    for (const alg of [
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
      'ES256',
      'ES384',
      'ES512',
      'EdDSA',
      'Ed25519',
    ])
      assert.ok(isAllowedAlgorithm(alg), alg);
  });

  it('refuses crit, a non-string kid and malformed headers', () => {
    refused({ alg: 'RS256', crit: ['exp'] }, /crit/);
    refused({ alg: 'RS256', crit: [] }, /crit/);
    refused({ alg: 'RS256', kid: 7 }, /kid/);
    refused('not base64!.e30.c2ln', /malformed/);
    refused(`${b64url('[1]')}.e30.c2ln`, /not a JSON object/);
    refused(`${b64url('{"alg":')}.e30.c2ln`, /not JSON/);
    refused('.e30.c2ln', /malformed/);
  });

  it('binds the key to the algorithm family, curve and size, and to the JWK alg when it has one', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    const ed = generateKeyPairSync('ed25519').publicKey;
    assert.ok(keyFitsAlgorithm('RS256', rsa) && keyFitsAlgorithm('PS512', rsa));
    assert.ok(!keyFitsAlgorithm('ES256', rsa) && !keyFitsAlgorithm('EdDSA', rsa));
    assert.ok(!keyFitsAlgorithm('RS256', small), 'RSA keys under 2048 bits are refused');
    assert.ok(keyFitsAlgorithm('ES256', p256) && !keyFitsAlgorithm('ES384', p256) && keyFitsAlgorithm('ES384', p384));
    assert.ok(!keyFitsAlgorithm('RS256', p256));
    assert.ok(keyFitsAlgorithm('EdDSA', ed) && keyFitsAlgorithm('Ed25519', ed) && !keyFitsAlgorithm('ES256', ed));
    assert.ok(!keyFitsAlgorithm('PS256', rsa, 'RS256'), 'a JWK declaring RS256 verifies only RS256');
    assert.ok(keyFitsAlgorithm('RS256', rsa, 'RS256'));
    assert.ok(keyFitsAlgorithm('Ed25519', ed, 'EdDSA'));
  });
});
