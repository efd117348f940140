import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { JWKS_FETCH_TIMEOUT_MS } from '../../src/auth/jwt/jwks-source';
import { signJwt, standardClaims } from '../support/auth-tokens';
import { startJwksFront, sleep, timed, waitFor, type JwksFront, type JwksMode } from '../support/faults';
import { spawnGateway, writeConfig, type SpawnedGateway } from '../support/gateway';
import { startOidcProvider, type SigningAlg, type TestOidcProvider } from '../support/oidc';
import { createTestDatabase } from '../support/postgres';

/**
 * Identity provider faults against the production build: the gateway's JWT_PUBLIC_KEY_URL points at a JWKS front
 * the test controls (in front of a real oidc-provider), which hangs, goes down, answers garbage, an empty key set
 * or an error. Tokens come from the real provider's token endpoint, which keeps working throughout.
 */
const MASTER = 'sk-faults-idp-master-0001';
/** A request that had to wait for the provider waited at most the fetch timeout; this is the margin on top. */
const MARGIN_MS = 2_000;

interface Answer {
  status: number;
  code?: string;
  message?: string;
  ms: number;
}

async function models(gw: SpawnedGateway, token: string): Promise<Answer> {
  const { value, ms } = await timed(async () => {
    // A bound of its own, so a gateway that hangs fails this step by name instead of the whole file's timeout.
    const res = await fetch(`${gw.url}/v1/models`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(20_000),
    });
    const body = (await res.json()) as { error?: { code: string; message: string } };
    return { status: res.status, code: body.error?.code, message: body.error?.message };
  });
  return { ...value, ms };
}

/** JSON log lines of the gateway after `from` lines, parsed. */
function logLines(gw: SpawnedGateway, from = 0): Record<string, unknown>[] {
  return gw
    .output()
    .split('\n')
    .slice(from)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return []; // not a log line, or one still being written
      }
    });
}

const lineCount = (gw: SpawnedGateway) => gw.output().split('\n').length - 1;
const config = (jwtauth: string) =>
  writeConfig(`general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
  litellm_jwtauth:
${jwtauth}
`);

describe('IdP faults while the keys are known (production build)', () => {
  let idp: TestOidcProvider;
  let front: JwksFront;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let gw: SpawnedGateway;
  const issued: string[] = [];
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  const token = async (alg: SigningAlg = 'RS256') => {
    const t = await idp.token('team-a', undefined, alg);
    issued.push(t);
    return t;
  };
  /** Signed by a key the provider never published, under a kid nobody knows. */
  const unknownKeyToken = () => {
    const t = signJwt('RS256', { kid: randomUUID() }, standardClaims(idp.issuer, idp.audience, 'team-a'), stranger);
    issued.push(t);
    return t;
  };
  const fetchedLines = (from: number) => logLines(gw, from).filter((l) => l.msg === 'JWKS fetched').length;

  before(async () => {
    idp = await startOidcProvider({ clients: [{ clientId: 'team-a' }] });
    front = await startJwksFront(idp.jwksUri);
    db = await createTestDatabase('gw_faults_idp');
    // public_key_ttl 1 s: every fault below is met with keys past their TTL (stale, revalidating); the stale period stays 1 h.
    gw = await spawnGateway(['--config', config('    public_key_ttl: 1')], {
      DATABASE_URL: db.url,
      JWT_PUBLIC_KEY_URL: front.url,
    });
    await waitFor(async () => (await models(gw, await token())).status === 200, 'a first JWT to verify');
  });
  after(async () => {
    await gw?.stop();
    await front?.close();
    await idp?.stop();
    await db?.drop();
  });

  it('verifies a token signed by a rotated-in key without a restart; the previous key keeps working', async () => {
    const before = await token();
    await idp.rotateKeys();
    const fresh = await token();
    assert.notEqual(
      JSON.parse(Buffer.from(fresh.split('.')[0], 'base64url').toString()).kid,
      JSON.parse(Buffer.from(before.split('.')[0], 'base64url').toString()).kid,
    );
    assert.equal((await models(gw, fresh)).status, 200, 'the new kid is fetched on first sight');
    assert.equal((await models(gw, before)).status, 200, 'the old key is still published');
  });

  const faults: { mode: JwksMode | 'down'; reason: RegExp }[] = [
    { mode: 'hang', reason: /timed out/ },
    { mode: 'down', reason: /ECONNREFUSED/ },
    { mode: 'garbage', reason: /not JSON/ },
    { mode: 'bad-keys', reason: /signing keys|Cannot destructure|null/ },
    { mode: 'empty', reason: /did not contain any keys/ },
    { mode: 'error', reason: /HTTP 500/ },
  ];
  for (const { mode, reason } of faults) {
    it(`provider ${mode}: known keys keep verifying without waiting on it, unknown keys get 401 within the fetch timeout, a warning names the URL`, async () => {
      const from = lineCount(gw);
      if (mode === 'down') await front.down();
      else front.mode = mode;
      await sleep(1_200); // past public_key_ttl: the next use revalidates in the background
      for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
        const known = await models(gw, await token(alg));
        assert.equal(known.status, 200, `${alg}: ${known.message}`);
        assert.ok(
          known.ms < JWKS_FETCH_TIMEOUT_MS - 1_000,
          `${alg}: a known key waited ${Math.round(known.ms)} ms on the provider`,
        );
      }
      const unknown = await models(gw, unknownKeyToken());
      assert.equal(unknown.status, 401, unknown.message);
      assert.equal(unknown.code, 'invalid_jwt');
      assert.ok(unknown.ms < JWKS_FETCH_TIMEOUT_MS + MARGIN_MS, `an unknown kid took ${Math.round(unknown.ms)} ms`);

      await waitFor(
        () =>
          logLines(gw, from).some(
            (l) => l.msg === 'JWKS fetch failed; keys fetched earlier stay in use' && reason.test(String(l.reason)),
          ),
        `the ${mode} warning`,
      );
      const warning = logLines(gw, from).find((l) => l.msg === 'JWKS fetch failed; keys fetched earlier stay in use')!;
      assert.equal(warning.level, 'warn');
      assert.equal(warning.url, front.url);
      assert.equal(typeof warning.knownKeysAgeSec, 'number');

      // The provider comes back: the next revalidation succeeds (a hung fetch first runs into its timeout).
      if (mode === 'down') await front.up();
      front.mode = 'pass';
      const fetchedBefore = fetchedLines(from);
      await waitFor(
        async () => (await models(gw, await token())).status === 200 && fetchedLines(from) > fetchedBefore,
        'a successful refetch',
        JWKS_FETCH_TIMEOUT_MS + 8_000,
      );
    });
  }

  it('a key rotated in while the provider is down is refused with 401 (fail closed), and accepted once it is back', async () => {
    await front.down();
    await idp.rotateKeys();
    const rotated = await token();
    const r = await models(gw, rotated);
    assert.equal(r.status, 401);
    assert.match(String(r.code), /^(invalid_jwt|jwks_unavailable)$/);
    await front.up();
    await waitFor(
      async () => (await models(gw, await token())).status === 200,
      'the rotated key after the provider is back',
      10_000,
    );
  });

  it('never logs a token, and never answered a 5xx', () => {
    const out = gw.output();
    for (const t of issued) assert.ok(!out.includes(t.split('.')[2]), 'a JWT signature is in the logs');
    const statuses = logLines(gw)
      .filter((l) => l.msg === 'request')
      .map((l) => l.status as number);
    assert.ok(statuses.length > 10, 'access log lines carry the status');
    assert.deepEqual(
      statuses.filter((s) => s >= 500),
      [],
    );
  });
});

describe('IdP down at start and past the stale period (production build)', () => {
  let idp: TestOidcProvider;
  let front: JwksFront;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let gw: SpawnedGateway;
  const TTL_S = 1;
  const STALE_S = 4;

  before(async () => {
    idp = await startOidcProvider({ clients: [{ clientId: 'team-a' }] });
    front = await startJwksFront(idp.jwksUri);
    front.mode = 'hang';
    db = await createTestDatabase('gw_faults_idp');
    gw = await spawnGateway(
      ['--config', config(`    public_key_ttl: ${TTL_S}\n    public_key_stale_ttl: ${STALE_S}`)],
      { DATABASE_URL: db.url, JWT_PUBLIC_KEY_URL: front.url },
    );
  });
  after(async () => {
    await gw?.stop();
    await front?.close();
    await idp?.stop();
    await db?.drop();
  });

  it('a provider that hangs from the start: 401 jwks_unavailable within the fetch timeout; then recovers by itself', async () => {
    const r = await models(gw, await idp.token('team-a'));
    assert.equal(r.status, 401);
    assert.equal(r.code, 'jwks_unavailable');
    assert.ok(r.ms < JWKS_FETCH_TIMEOUT_MS + MARGIN_MS, `took ${Math.round(r.ms)} ms`);
    await waitFor(
      () => logLines(gw).some((l) => l.level === 'warn' && l.url === front.url && /timed out/.test(String(l.reason))),
      'the timeout warning',
    );
    front.mode = 'pass';
    await waitFor(async () => (await models(gw, await idp.token('team-a'))).status === 200, 'recovery', 10_000);
  });

  it('known keys work for public_key_ttl + public_key_stale_ttl with the provider down, then 401 jwks_unavailable; back up, tokens verify again', async () => {
    // Pin the moment of the last successful fetch: use past the TTL triggers one, seen in the log.
    await sleep(TTL_S * 1000 + 200);
    const from = lineCount(gw);
    await models(gw, await idp.token('team-a'));
    await waitFor(() => logLines(gw, from).some((l) => l.msg === 'JWKS fetched'), 'a revalidation');
    const fetchedAt = Date.now();
    await front.down();

    await sleep(TTL_S * 1000 + 1_000);
    const stale = await models(gw, await idp.token('team-a', undefined, 'ES256'));
    assert.equal(stale.status, 200, `stale keys within the stale period: ${stale.message}`);

    await sleep(fetchedAt + (TTL_S + STALE_S) * 1000 + 1_500 - Date.now());
    const expired = await models(gw, await idp.token('team-a', undefined, 'ES256'));
    assert.equal(expired.status, 401);
    assert.equal(expired.code, 'jwks_unavailable');
    assert.ok(expired.ms < JWKS_FETCH_TIMEOUT_MS + MARGIN_MS);
    await waitFor(
      () =>
        logLines(gw, from).some(
          (l) => l.level === 'warn' && /no longer used/.test(String(l.msg)) && l.url === front.url,
        ),
      'the keys-dropped warning',
    );

    await front.up();
    await waitFor(
      async () => (await models(gw, await idp.token('team-a'))).status === 200,
      'recovery after the provider is back',
      10_000,
    );
  });
});
