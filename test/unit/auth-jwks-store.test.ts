import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { JwksKeyStore } from '../../src/auth/jwt/jwks-key-store';
import { JWKS_REFETCH_INTERVAL_MS, JWKS_RETRY_INTERVAL_MS, JWKS_STALE_GRACE_MS } from '../../src/auth/jwt/jwks-source';
import { JwtRejection } from '../../src/auth/jwt/jwt-rejection';
import { VerifiedTokenCache } from '../../src/auth/jwt/verified-token-cache';
import type { GatewayConfig } from '../../src/config/gateway-config';
import { loadGatewayConfig } from '../../src/config/config.loader';
import { createLogger } from '../../src/logging/logger';
import { LogCapture, ROOT, writeConfig } from '../support/gateway';
import { nowSec, signJwt } from '../support/auth-tokens';

/** The key store with a clock the test moves, against a real local JWKS server the test can break. */
class ClockedStore extends JwksKeyStore {
  clock = 1_000_000;
  protected override now(): number {
    return this.clock;
  }
}

describe('JwksKeyStore timing rules (moved clock, real HTTP)', () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' };
  let up = true;
  let fetches = 0;
  let server: Server;
  let store: ClockedStore;
  const logs = new LogCapture();
  const TTL_MS = 60_000;

  before(async () => {
    server = createServer((_req, res) => {
      fetches++;
      if (up) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      else res.writeHead(503).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks`;
    const config = loadGatewayConfig({
      argv: [
        '--config',
        writeConfig('general_settings:\n  enable_jwt_auth: true\n  litellm_jwtauth:\n    public_key_ttl: 60\n'),
      ],
      env: { JWT_PUBLIC_KEY_URL: url },
      cwd: ROOT,
    });
    store = new ClockedStore(config, createLogger({ level: 'info', secrets: ['unused-secret'] }, logs));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const resolveK1 = () => store.resolve({ alg: 'RS256', kid: 'k1' }, '');
  const refused = async (p: Promise<unknown>, code: string) =>
    assert.rejects(p, (e: unknown) => e instanceof JwtRejection && e.code === code);

  it('fetches on first use, then serves from memory', async () => {
    assert.equal((await resolveK1()).asymmetricKeyType, 'rsa');
    assert.equal(fetches, 1);
    store.clock += 1_000;
    await resolveK1();
    assert.equal(fetches, 1);
  });

  it('shares one fetch between concurrent misses, and refetches for unknown kids at most once per interval', async () => {
    store.clock += JWKS_REFETCH_INTERVAL_MS;
    await Promise.all(
      Array.from({ length: 5 }, () => refused(store.resolve({ alg: 'RS256', kid: 'new' }, ''), 'invalid_jwt')),
    );
    assert.equal(fetches, 2, 'five concurrent misses: one fetch');
    store.clock += JWKS_REFETCH_INTERVAL_MS - 1;
    await refused(store.resolve({ alg: 'RS256', kid: 'new' }, ''), 'invalid_jwt');
    assert.equal(fetches, 2, 'within the interval: no fetch');
    store.clock += 1;
    await refused(store.resolve({ alg: 'RS256', kid: 'new' }, ''), 'invalid_jwt');
    assert.equal(fetches, 3, 'after the interval: one more fetch');
  });

  it('keeps known keys past the TTL while the provider is down, for a bounded time, then refuses', async () => {
    const fetchedAt = store.clock;
    up = false;
    store.clock = fetchedAt + TTL_MS + 1;
    await resolveK1(); // stale, served at once; a background refresh fails
    for (let i = 0; i < 250 && !logs.text().includes('keys fetched earlier stay in use'); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(fetches, 4, 'one background refresh');
    assert.match(logs.text(), /keys fetched earlier stay in use/);
    // A token verified now is trusted from the cache no longer than these keys stay usable.
    assert.equal(store.usableForMs(), JWKS_STALE_GRACE_MS - 1);
    store.clock = fetchedAt + TTL_MS + JWKS_STALE_GRACE_MS - 500;
    assert.equal(store.usableForMs(), 500);
    store.clock = fetchedAt + TTL_MS + JWKS_STALE_GRACE_MS;
    await resolveK1();
    store.clock = fetchedAt + TTL_MS + JWKS_STALE_GRACE_MS + JWKS_RETRY_INTERVAL_MS + 1;
    await refused(resolveK1(), 'jwks_unavailable');
    assert.equal(store.usableForMs(), 0);
  });

  it('recovers as soon as the provider answers again (retry interval after a failure)', async () => {
    store.clock += JWKS_RETRY_INTERVAL_MS;
    const before = fetches;
    await refused(resolveK1(), 'jwks_unavailable'); // a failed attempt, now
    assert.equal(fetches, before + 1);
    up = true;
    await refused(resolveK1(), 'jwks_unavailable'); // within the retry interval: no new attempt
    assert.equal(fetches, before + 1);
    store.clock += JWKS_RETRY_INTERVAL_MS;
    assert.equal((await resolveK1()).asymmetricKeyType, 'rsa');
    assert.equal(fetches, before + 2);
  });
});

describe('JwksKeyStore key choice across several JWKS (real HTTP)', () => {
  const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
  const a = rsa();
  const b = rsa();
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = (k: ReturnType<typeof rsa>['publicKey'], extra: Record<string, unknown> = {}) => ({
    ...k.export({ format: 'jwk' }),
    use: 'sig',
    ...extra,
  });
  const servers: Server[] = [];
  const serve = async (keys: unknown[]): Promise<string> => {
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks`;
  };
  const storeFor = (urls: string[]) =>
    new JwksKeyStore(
      loadGatewayConfig({
        argv: ['--config', writeConfig('general_settings:\n  enable_jwt_auth: true\n')],
        env: { JWT_PUBLIC_KEY_URL: urls.join(',') },
        cwd: ROOT,
      }),
      createLogger({ level: 'info', secrets: ['unused-secret'] }, new LogCapture()),
    );
  const claims = { sub: 's', exp: nowSec() + 60 };
  const same = (x: KeyObject, y: KeyObject) => x.equals(y);
  after(() => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))));

  it('the same kid in two JWKS of one issuer: the key whose signature check passes is chosen, whichever JWKS holds it', async () => {
    // Several JWKS: each bound to its issuer (here the same one, as for a provider publishing two key sets).
    const urls = [await serve([jwk(a.publicKey, { kid: 'k1' })]), await serve([jwk(b.publicKey, { kid: 'k1' })])];
    const entries = urls.map((u) => `      - { issuer: "https://idp.test", jwks_url: "${u}" }`).join('\n');
    const store = new JwksKeyStore(
      loadGatewayConfig({
        argv: [
          '--config',
          writeConfig(`general_settings:\n  enable_jwt_auth: true\n  litellm_jwtauth:\n    issuers:\n${entries}\n`),
        ],
        env: {},
        cwd: ROOT,
      }),
      createLogger({ level: 'info', secrets: ['unused-secret'] }, new LogCapture()),
    );
    const issued = { ...claims, iss: 'https://idp.test' };
    const fromA = signJwt('RS256', { kid: 'k1' }, issued, a.privateKey);
    const fromB = signJwt('RS256', { kid: 'k1' }, issued, b.privateKey);
    assert.ok(same(await store.resolve({ alg: 'RS256', kid: 'k1' }, fromA), a.publicKey));
    assert.ok(same(await store.resolve({ alg: 'RS256', kid: 'k1' }, fromB), b.publicKey));
  });

  it('a key withdrawn from the JWKS: the tokens it verified are no longer taken from the verified-token cache', async () => {
    let keys: unknown[] = [jwk(a.publicKey, { kid: 'old' })];
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks`;
    const store = new ClockedStore(
      loadGatewayConfig({
        argv: ['--config', writeConfig('general_settings:\n  enable_jwt_auth: true\n')],
        env: { JWT_PUBLIC_KEY_URL: url },
        cwd: ROOT,
      }),
      createLogger({ level: 'info', secrets: ['unused-secret'] }, new LogCapture()),
    );
    const cache = new VerifiedTokenCache({ jwt: { publicKeyTtlSec: 600 } } as GatewayConfig, store);
    const token = signJwt('RS256', { kid: 'old' }, claims, a.privateKey);
    assert.ok(same(await store.resolve({ alg: 'RS256', kid: 'old' }, token), a.publicKey));
    const result = { caller: { role: 'team' } } as never;
    cache.set(token, result, claims.exp, store.usableForMs());
    assert.equal(cache.get(token), result);
    keys = [jwk(b.publicKey, { kid: 'new' })]; // rotated: "old" withdrawn
    store.clock += JWKS_REFETCH_INTERVAL_MS;
    assert.ok(same(await store.resolve({ alg: 'RS256', kid: 'new' }, ''), b.publicKey)); // an unknown kid refetches
    assert.equal(cache.get(token), undefined);
  });

  it('no kid: accepted when exactly one key fits the algorithm, whatever other kinds of key are there', async () => {
    const store = storeFor([await serve([jwk(a.publicKey), jwk(ec.publicKey)])]);
    assert.ok(same(await store.resolve({ alg: 'RS256' }, ''), a.publicKey));
    assert.ok(same(await store.resolve({ alg: 'ES256' }, ''), ec.publicKey));
    const two = storeFor([await serve([jwk(a.publicKey), jwk(b.publicKey)])]);
    await assert.rejects(
      two.resolve({ alg: 'RS256' }, ''),
      (e: unknown) => e instanceof JwtRejection && /no "kid"/.test(e.message),
    );
  });
});

describe('VerifiedTokenCache: an entry never outlives the keys that verified it', () => {
  it('keeps a token only as long as the keys stay usable, when that is shorter than exp and public_key_ttl', async () => {
    const cache = new VerifiedTokenCache({ jwt: { publicKeyTtlSec: 600 } } as GatewayConfig);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = signJwt('RS256', { kid: 'k1' }, { sub: 's', exp: nowSec() + 600 }, privateKey);
    const other = signJwt('RS256', { kid: 'k1' }, { sub: 't', exp: nowSec() + 600 }, privateKey);
    const result = { caller: { role: 'team' } } as never;
    cache.set(token, result, nowSec() + 600, 40);
    cache.set(other, result, nowSec() + 600);
    assert.equal(cache.get(token), result);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(cache.get(token), undefined, 'gone with the keys');
    assert.equal(cache.get(other), result, 'without that bound: exp and public_key_ttl');
    cache.set(token, result, nowSec() + 600, 0);
    assert.equal(cache.get(token), undefined, 'keys no longer usable: not kept at all');
  });
});
