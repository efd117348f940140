import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { call, startProbe, type Probe } from '../support/auth-probe';
import { signJwt, standardClaims } from '../support/auth-tokens';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { startStaticJwks, type StaticJwks } from '../support/static-jwks';

const YAML = (extra = '') => `general_settings:
  master_key: sk-jwks-master-0001
  enable_jwt_auth: true
${extra}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function listen(server: Server | TcpServer): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

describe('JWKS: discovery documents and several providers', () => {
  let a: TestOidcProvider;
  let b: TestOidcProvider;
  let probe: Probe;
  before(async () => {
    a = await startOidcProvider({ clients: [{ clientId: 'team-a' }] });
    b = await startOidcProvider({ clients: [{ clientId: 'team-b' }] });
    probe = await startProbe(YAML(), {
      JWT_PUBLIC_KEY_URL: `${a.discoveryUrl}, ${b.jwksUri}`,
      JWT_ISSUER: `${a.issuer},${b.issuer}`,
      JWT_AUDIENCE: 'llm-gateway',
    });
  });
  after(async () => {
    await probe?.close();
    await a?.stop();
    await b?.stop();
  });

  it('follows a discovery document to its jwks_uri, and accepts tokens of every configured provider', async () => {
    const fromA = await call(probe.url, '/models', await a.token('team-a', undefined, 'ES256'));
    assert.equal(fromA.status, 200);
    assert.equal(fromA.body.caller?.teamId, 'team-a');
    const fromB = await call(probe.url, '/models', await b.token('team-b'));
    assert.equal(fromB.status, 200);
    assert.equal(fromB.body.caller?.teamId, 'team-b');
    assert.ok(a.jwksRequests() >= 1, 'provider A JWKS fetched through its discovery document');
  });
});

describe('JWKS: several providers, each bound to its issuer', () => {
  let a: TestOidcProvider;
  let b: TestOidcProvider;
  let probe: Probe;
  before(async () => {
    a = await startOidcProvider({ clients: [{ clientId: 'team-a' }] });
    b = await startOidcProvider({ clients: [{ clientId: 'team-b' }] });
    // A by its discovery document, B by its plain JWKS (its issuer found from the discovery document naming it).
    probe = await startProbe(YAML(), {
      JWT_PUBLIC_KEY_URL: `${a.discoveryUrl},${b.jwksUri}`,
      JWT_AUDIENCE: 'llm-gateway',
    });
  });
  after(async () => {
    await probe?.close();
    await a?.stop();
    await b?.stop();
  });

  /** A token signed with `signer`'s key, whose claims say it comes from `claimed`. */
  const forged = (signer: TestOidcProvider, claimed: TestOidcProvider, clientId: string) => {
    const key = signer.signingKey('RS256');
    return signJwt('RS256', { kid: key.kid }, standardClaims(claimed.issuer, 'llm-gateway', clientId), key.privateKey);
  };

  it("a token of provider A claiming provider B's issuer is refused (401), and the other way round", async () => {
    const own = await call(probe.url, '/models', forged(a, a, 'team-a'));
    assert.equal(own.status, 200, 'a token A signs with its own issuer passes');
    for (const [signer, claimed] of [
      [a, b],
      [b, a],
    ] as const) {
      const r = await call(probe.url, '/models', forged(signer, claimed, 'team-b'));
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.caller, undefined);
    }
    assert.equal((await call(probe.url, '/models', await b.token('team-b'))).status, 200);
  });

  it('a token with no issuer, or an issuer no provider has, is refused', async () => {
    const key = a.signingKey('RS256');
    const claims = standardClaims(a.issuer, 'llm-gateway', 'team-a');
    delete claims.iss;
    const none = await call(probe.url, '/models', signJwt('RS256', { kid: key.kid }, claims, key.privateKey));
    assert.equal(none.status, 401);
    assert.match(none.body.error!.message, /"iss"/);
    const other = standardClaims('https://elsewhere.example', 'llm-gateway', 'team-a');
    const stranger = await call(probe.url, '/models', signJwt('RS256', { kid: key.kid }, other, key.privateKey));
    assert.equal(stranger.status, 401);
    assert.match(stranger.body.error!.message, /issuer/);
  });
});

describe('JWKS: litellm_jwtauth.issuers binds plain JWKS URLs to their issuers', () => {
  let a: StaticJwks;
  let b: StaticJwks;
  let probe: Probe;
  before(async () => {
    a = await startStaticJwks({ issuer: 'https://a.idp.test' });
    b = await startStaticJwks({ issuer: 'https://b.idp.test', audience: 'gateway-b' });
    probe = await startProbe(
      YAML(`  litellm_jwtauth:
    issuers:
      - { issuer: "${a.issuer}", jwks_url: "${a.url}", audience: llm-gateway }
      - { issuer: "${b.issuer}", jwks_url: "${b.url}", audience: gateway-b }
`),
    );
  });
  after(async () => {
    await probe?.close();
    await a?.close();
    await b?.close();
  });

  it("each provider's own tokens pass; one signed by A (same kid as B's) claiming B's issuer is 401", async () => {
    assert.equal((await call(probe.url, '/models', a.token('team-a'))).status, 200);
    assert.equal((await call(probe.url, '/models', b.token('team-b'))).status, 200);
    const r = await call(probe.url, '/models', a.token('team-b', { iss: b.issuer, aud: 'gateway-b' }));
    assert.equal(r.status, 401, JSON.stringify(r.body));
  });

  it("an issuer's audience is enforced for its tokens", async () => {
    const r = await call(probe.url, '/models', a.token('team-a', { aud: 'gateway-b' }));
    assert.equal(r.status, 401);
    assert.match(r.body.error!.message, /audience/);
  });
});

describe('JWKS: key rotation at the provider', () => {
  let idp: TestOidcProvider;
  let probe: Probe;
  before(async () => {
    idp = await startOidcProvider({ clients: [{ clientId: 'team-a' }] });
    probe = await startProbe(YAML(), { JWT_PUBLIC_KEY_URL: idp.jwksUri });
    await until(() => idp.jwksRequests() >= 1, 'the JWKS fetch at start');
  });
  after(async () => {
    await probe?.close();
    await idp?.stop();
  });

  it('verifies a token signed by a new key without a restart; concurrent misses share one fetch', async () => {
    const oldToken = await idp.token('team-a');
    assert.equal((await call(probe.url, '/models', oldToken)).status, 200);
    await idp.rotateKeys();
    const fresh = await Promise.all(Array.from({ length: 8 }, () => idp.token('team-a')));
    const kid = JSON.parse(Buffer.from(fresh[0].split('.')[0], 'base64url').toString()).kid;
    assert.equal(kid, idp.signingKey().kid, 'signed with the new key');
    const fetchesBefore = idp.jwksRequests();
    const results = await Promise.all(fresh.map((t) => call(probe.url, '/models', t)));
    assert.deepEqual(
      results.map((r) => r.status),
      fresh.map(() => 200),
    );
    assert.equal(idp.jwksRequests(), fetchesBefore + 1, 'eight concurrent unknown-kid requests caused one JWKS fetch');
    // Keys the provider still publishes keep working.
    assert.equal((await call(probe.url, '/models', await idp.token('team-a', undefined, 'EdDSA'))).status, 200);
  });

  it('does not refetch for every unknown kid: random kids cannot make the gateway hammer the provider', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const unknownKid = () =>
      signJwt('RS256', { kid: randomUUID() }, standardClaims(idp.issuer, idp.audience, 'team-a'), stranger);
    const fetchesBefore = idp.jwksRequests();
    for (let i = 0; i < 6; i++) {
      const r = await call(probe.url, '/models', unknownKid());
      assert.equal(r.status, 401);
      assert.match(r.body.error!.message, /kid/);
    }
    // Six unknown kids within far less than the refetch interval: at most one fetch (one only if the interval since
    // the previous test's refetch ran out meanwhile). The exact rule is checked with a moved clock in the unit test.
    assert.ok(
      idp.jwksRequests() <= fetchesBefore + 1,
      `${idp.jwksRequests() - fetchesBefore} JWKS fetches for six unknown kids`,
    );
  });
});

describe('JWKS: provider unreachable after the first fetch', () => {
  let idp: TestOidcProvider;
  let probe: Probe;
  const tokens: string[] = [];
  before(async () => {
    idp = await startOidcProvider({ clients: [{ clientId: 'team-a' }] });
    probe = await startProbe(YAML('  litellm_jwtauth:\n    public_key_ttl: 1\n'), { JWT_PUBLIC_KEY_URL: idp.jwksUri });
    for (const alg of ['RS256', 'RS256', 'ES256', 'EdDSA'] as const)
      tokens.push(await idp.token('team-a', undefined, alg));
  });
  after(async () => {
    await probe?.close();
    await idp?.stop();
  });

  it('keeps verifying tokens signed by known keys, past the TTL, and warns', async () => {
    assert.equal((await call(probe.url, '/models', tokens[0])).status, 200);
    await idp.stop();
    assert.equal(
      (await call(probe.url, '/models', tokens[1])).status,
      200,
      'a token never seen before, while the keys are fresh',
    );
    await sleep(1_500); // past public_key_ttl: the next use revalidates in the background and keeps the known keys
    assert.equal((await call(probe.url, '/models', tokens[2])).status, 200, 'stale keys still verify');
    await until(() => probe.logs.text().includes('keys fetched earlier stay in use'), 'the stale-keys warning');
    assert.equal((await call(probe.url, '/models', tokens[3])).status, 200, 'EdDSA with a stale key');
    const line = probe.logs.lines.find((l) => l.includes('keys fetched earlier stay in use'))!;
    assert.equal(JSON.parse(line).level, 'warn');
    assert.equal(JSON.parse(line).url, idp.jwksUri);
  });

  it('answers an unknown kid with 401, not 500, while the provider is down', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const r = await call(
      probe.url,
      '/models',
      signJwt('ES256', { kid: 'rotated-while-down' }, standardClaims(idp.issuer, idp.audience, 'team-a'), stranger),
    );
    assert.equal(r.status, 401);
  });
});

describe('JWKS: a provider that hangs or answers nonsense', () => {
  let hanging: TcpServer;
  const sockets = new Set<Socket>();
  let broken: Server;
  let hangProbe: Probe;
  let brokenProbe: Probe;
  let idp: TestOidcProvider;
  before(async () => {
    idp = await startOidcProvider({ clients: [{ clientId: 'team-a' }] });
    hanging = createTcpServer((s) => sockets.add(s)); // accepts, never answers
    const hangPort = await listen(hanging);
    broken = createServer((req, res) => {
      if (req.url === '/500') res.writeHead(500).end('oops');
      else if (req.url === '/html') res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"issuer":"x"}');
    });
    const brokenPort = await listen(broken);
    hangProbe = await startProbe(YAML(), { JWT_PUBLIC_KEY_URL: `http://127.0.0.1:${hangPort}/jwks` });
    brokenProbe = await startProbe(YAML(), {
      JWT_PUBLIC_KEY_URL: ['/500', '/html', '/json'].map((p) => `http://127.0.0.1:${brokenPort}${p}`).join(','),
    });
  });
  after(async () => {
    await hangProbe?.close();
    await brokenProbe?.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => hanging?.close(r));
    await new Promise((r) => broken?.close(r));
    await idp?.stop();
  });

  it('gives up on a provider that never answers (bounded fetch) and answers 401', async () => {
    const r = await call(probe(hangProbe), '/models', await idp.token('team-a'));
    assert.equal(r.status, 401);
    assert.equal(r.body.error?.code, 'jwks_unavailable');
    await until(() => hangProbe.logs.text().includes('timed out'), 'the fetch timeout warning');
  });

  it('answers 401 (never 500) when every JWKS URL answers an error or no keys', async () => {
    const r = await call(probe(brokenProbe), '/models', await idp.token('team-a'));
    assert.equal(r.status, 401);
    assert.equal(r.body.error?.code, 'jwks_unavailable');
    const text = brokenProbe.logs.text();
    assert.match(text, /HTTP 500/);
    assert.match(text, /not JSON/);
    assert.match(text, /neither a JWKS/);
  });
});

describe('JWKS: a single key without kid', () => {
  let server: Server;
  let probe: Probe;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  before(async () => {
    const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), use: 'sig' }] });
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
    const port = await listen(server);
    probe = await startProbe(YAML(), { JWT_PUBLIC_KEY_URL: `http://127.0.0.1:${port}/certs` });
  });
  after(async () => {
    await probe?.close();
    await new Promise((r) => server?.close(r));
  });

  it('verifies a token without kid against the only key, and refuses one naming a kid it does not have', async () => {
    const claims = standardClaims('https://idp.example', 'llm-gateway', 'team-k');
    const ok = await call(probe.url, '/models', signJwt('RS256', {}, claims, privateKey));
    assert.equal(ok.status, 200);
    assert.equal(ok.body.caller?.teamId, 'team-k');
    assert.equal((await call(probe.url, '/models', signJwt('PS256', {}, claims, privateKey))).status, 200);
    assert.equal(
      (await call(probe.url, '/models', signJwt('RS256', { kid: 'other' }, claims, privateKey))).status,
      401,
    );
  });
});

function probe(p: Probe): string {
  return p.url;
}
