import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { JwksClient } from 'jwks-rsa';
import { compactVerify } from 'jose';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { APP_LOGGER } from '../../logging/logger';
import { claimsOf, type JoseHeader } from './jose-header';
import { discoverIssuer, fetchJwksDocument, type JwksDocument } from './jwks-fetcher';
import { keyFitsAlgorithm } from './jwt-algorithms';
import { JwtRejection } from './jwt-rejection';

/** Bound on one JWKS fetch (both hops of a discovery URL): the gateway never waits longer on the provider. */
export const JWKS_FETCH_TIMEOUT_MS = 3_000;
/** An unknown `kid` refetches a JWKS at most this often per URL. */
export const JWKS_REFETCH_INTERVAL_MS = 5_000;
/** Least time between two fetches of one URL otherwise (after a failure, or when refreshing past the TTL). */
export const JWKS_RETRY_INTERVAL_MS = 1_000;
/**
 * Default of `litellm_jwtauth.public_key_stale_ttl`: while the provider is unreachable, keys keep working this long
 * past `public_key_ttl`, then are dropped.
 */
export const JWKS_STALE_GRACE_MS = 60 * 60 * 1000;

interface VerifyKey {
  readonly kid?: string;
  /** The JWK's own `alg`, when it declares one. */
  readonly jwkAlg?: string;
  readonly key: KeyObject;
}

/** One configured URL (a JWKS, or a discovery document whose `jwks_uri` is followed) and what it last gave. */
class KeySource {
  keys: readonly VerifyKey[] = [];
  /** The issuer whose tokens these keys verify: configured (`litellm_jwtauth.issuers`), else found by a fetch. */
  issuer: string | undefined;
  /** The last fetch gave a plain JWKS, with no discovery document naming its issuer. */
  plain = false;
  warnedNoIssuer = false;
  readonly client: JwksClient;
  /** Time (JwksKeyStore.now) of the last successful fetch; -1 = never. */
  fetchedAt = -1;
  lastAttemptAt = -Infinity;
  /** When an unknown `kid` last caused a fetch: such fetches are rate-limited on their own. */
  lastMissFetchAt = -Infinity;
  lastFailed = false;
  inflight: Promise<void> | null = null;

  constructor(
    readonly url: string,
    readonly fixedIssuer: string | undefined,
    fetch: (uri: string) => Promise<JwksDocument>,
  ) {
    this.issuer = fixedIssuer;
    const fetcher = async (uri: string) => {
      const doc = await fetch(uri);
      this.plain = doc.issuer === undefined;
      if (this.fixedIssuer === undefined && doc.issuer !== undefined) this.issuer = doc.issuer;
      return doc;
    };
    this.client = new JwksClient({
      jwksUri: url,
      cache: false,
      rateLimit: false,
      timeout: JWKS_FETCH_TIMEOUT_MS,
      fetcher,
    });
  }
}

/**
 * The JWT verification keys. Each configured URL's JWKS is kept for `public_key_ttl`; past it, the next use
 * refreshes it in the background while the known keys keep working (stale-while-revalidate, bounded by
 * `public_key_stale_ttl`). An unknown `kid` refetches at once, at most once per JWKS_REFETCH_INTERVAL_MS per URL;
 * concurrent misses share one fetch. jwks-rsa fetches (through our bounded fetcher) and turns JWKs into keys.
 */
@Injectable()
export class JwksKeyStore implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly sources: KeySource[];
  private readonly ttlMs: number;
  /** TTL plus the stale period: past it a key fetched earlier is no longer used. */
  private readonly maxAgeMs: number;
  /** Aborts fetches still running when the gateway shuts down. */
  private readonly closing = new AbortController();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(APP_LOGGER) private readonly log: Logger,
  ) {
    this.ttlMs = config.jwt.publicKeyTtlSec * 1000;
    this.maxAgeMs = this.ttlMs + config.jwt.publicKeyStaleTtlSec * 1000;
    const fetch = (uri: string) => fetchJwksDocument(uri, JWKS_FETCH_TIMEOUT_MS, this.closing.signal);
    // URL -> its configured issuer; an `issuers` entry without jwks_url is found through its discovery document.
    const urls = new Map<string, string | undefined>(config.jwt.publicKeyUrls.map((u) => [u, undefined]));
    for (const i of config.jwt.issuers)
      urls.set(i.jwksUrl ?? `${i.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, i.issuer);
    this.sources = [...urls].map(([url, issuer]) => new KeySource(url, issuer, fetch));
    this.bound = this.sources.length > 1 || config.jwt.issuers.length > 0;
  }

  /**
   * Several providers (or issuers configured): a token is verified only with the keys of the provider whose issuer
   * its `iss` names, so one provider's clients cannot pass as another's (their team ids, their admin scope).
   */
  private readonly bound: boolean;

  private readonly withdrawnListeners: (() => void)[] = [];

  /** Runs `fn` when a fetch finds that a key held before is gone from its JWKS. */
  onKeyWithdrawn(fn: () => void): void {
    this.withdrawnListeners.push(fn);
  }

  /** Fetches every JWKS once at start (not awaited: a provider that is down does not stop the gateway). */
  onApplicationBootstrap(): void {
    if (this.config.jwt.enabled) for (const source of this.sources) void this.refresh(source);
  }

  onApplicationShutdown(): void {
    this.closing.abort();
  }

  /**
   * The key that verifies `token` (whose parsed header is `header`), or a JwtRejection saying why there is none.
   * Several JWKS may hold keys under the same `kid` (fixed kids like `1` are common): the one whose signature
   * check passes is chosen, so a token is accepted when any JWKS holds its key.
   */
  async resolve(header: JoseHeader, token: string): Promise<KeyObject> {
    if (this.sources.length === 0)
      throw new JwtRejection('JWT auth is enabled but no JWT_PUBLIC_KEY_URL is configured', 'jwks_unavailable');
    const iss = this.bound ? issuerOf(token) : undefined;
    const now = this.now();
    for (const source of this.sources) {
      if (source.fetchedAt >= 0 && now - source.fetchedAt > this.ttlMs && this.mayRevalidate(source, now))
        void this.refresh(source);
    }
    const known = this.find(header, now, iss);
    if (known.length > 0) return pick(known, header, token);
    const fetches: Promise<void>[] = [];
    for (const source of this.sources) {
      if (source.inflight) fetches.push(source.inflight);
      else if (this.mayFetchForMiss(source, now)) {
        source.lastMissFetchAt = now;
        fetches.push(this.refresh(source));
      }
    }
    await Promise.all(fetches);
    const fetched = this.find(header, this.now(), iss);
    if (fetched.length > 0) return pick(fetched, header, token);
    throw this.missReason(header, this.now(), iss);
  }

  /**
   * How long the keys held now stay usable if no fetch succeeds meanwhile (the least over the JWKS holding keys):
   * a verified token is not trusted from the cache for longer than the keys that verified it.
   */
  usableForMs(): number {
    const now = this.now();
    let least = Infinity;
    for (const s of this.sources)
      if (s.keys.length > 0 && this.usable(s, now)) least = Math.min(least, s.fetchedAt + this.maxAgeMs - now);
    return least === Infinity ? 0 : least;
  }

  /** Monotonic milliseconds (a seam for tests that move time). */
  protected now(): number {
    return performance.now();
  }

  /** Past the TTL: refresh in the background, at most once per retry interval (a TTL of 0 cannot mean a fetch per token). */
  private mayRevalidate(source: KeySource, now: number): boolean {
    return source.inflight === null && now - source.lastAttemptAt >= JWKS_RETRY_INTERVAL_MS;
  }

  /**
   * An unknown `kid`: refetch now unless one such refetch happened within the refetch interval (a provider that
   * rotated its keys is seen at once; random kids cannot make the gateway hammer it). After a failed fetch,
   * the retry interval applies instead.
   */
  private mayFetchForMiss(source: KeySource, now: number): boolean {
    if (source.inflight !== null) return false;
    return source.lastFailed
      ? now - source.lastAttemptAt >= JWKS_RETRY_INTERVAL_MS
      : now - source.lastMissFetchAt >= JWKS_REFETCH_INTERVAL_MS;
  }

  private usable(source: KeySource, now: number): boolean {
    return source.fetchedAt >= 0 && now - source.fetchedAt <= this.maxAgeMs;
  }

  /**
   * The keys that may verify a token with this header: those with its `kid` that fit its algorithm, in every usable
   * JWKS (of its issuer `iss` when providers are bound to their issuers).
   */
  private find(header: JoseHeader, now: number, iss: string | undefined): KeyObject[] {
    const found: KeyObject[] = [];
    for (const source of this.sources) {
      if (!this.usable(source, now) || (this.bound && source.issuer !== iss)) continue;
      for (const k of source.keys)
        if ((header.kid === undefined || k.kid === header.kid) && keyFitsAlgorithm(header.alg, k.key, k.jwkAlg))
          found.push(k.key);
    }
    // No kid: accepted only when all the JWKS together hold exactly one key that fits its algorithm.
    return header.kid === undefined && found.length !== 1 ? [] : found;
  }

  private missReason(header: JoseHeader, now: number, iss: string | undefined): JwtRejection {
    let usable = this.sources.filter((s) => this.usable(s, now));
    if (usable.length === 0)
      return new JwtRejection(
        'JWT signing keys are unavailable: the OpenID provider could not be reached',
        'jwks_unavailable',
      );
    if (this.bound) {
      usable = usable.filter((s) => s.issuer === iss);
      if (usable.length === 0)
        return new JwtRejection(
          `Invalid JWT: its issuer ${JSON.stringify(iss?.slice(0, 200))} is not that of a configured provider; with several providers a token is verified only with the keys of its own issuer`,
        );
    }
    const keys = usable.flatMap((s) => s.keys);
    if (header.kid === undefined)
      return new JwtRejection('Invalid JWT: it has no "kid" and the JWKS does not hold exactly one suitable key');
    if (keys.some((k) => k.kid === header.kid))
      return new JwtRejection(`Invalid JWT: the key with its "kid" does not fit algorithm ${header.alg}`);
    return new JwtRejection('Invalid JWT: no key in the JWKS has its "kid"');
  }

  private failureMessage(source: KeySource): string {
    if (source.fetchedAt < 0) return 'JWKS fetch failed; JWTs cannot be verified until it succeeds';
    if (this.usable(source, this.now())) return 'JWKS fetch failed; keys fetched earlier stay in use';
    return 'JWKS fetch failed; keys fetched earlier are past public_key_ttl + public_key_stale_ttl and no longer used: JWTs are refused until it succeeds';
  }

  /** A plain JWKS URL among several providers: its issuer from a discovery document that names this URL, else none. */
  private async findIssuer(source: KeySource): Promise<void> {
    source.issuer = await discoverIssuer(source.url, JWKS_FETCH_TIMEOUT_MS, this.closing.signal);
    if (source.issuer !== undefined || source.warnedNoIssuer) return;
    source.warnedNoIssuer = true;
    this.log.warn(
      { url: source.url },
      'JWKS has no known issuer: with several providers its tokens are refused; give its OpenID discovery URL, or an entry in litellm_jwtauth.issuers',
    );
  }

  private refresh(source: KeySource): Promise<void> {
    if (source.inflight) return source.inflight;
    source.lastAttemptAt = this.now();
    const run = async () => {
      try {
        const signing = await source.client.getSigningKeys();
        const before = source.keys;
        source.keys = signing.map((k) => ({
          kid: k.kid || undefined,
          jwkAlg: k.alg || undefined,
          key: createPublicKey(k.getPublicKey()),
        }));
        // A key the provider withdrew (rotated out, or revoked after a leak): tokens it verified stop being trusted now.
        if (before.some((old) => !source.keys.some((k) => k.key.equals(old.key))))
          for (const fn of this.withdrawnListeners) fn();
        if (this.bound && source.issuer === undefined && source.plain) await this.findIssuer(source);
        source.fetchedAt = this.now();
        source.lastFailed = false;
        this.log.info({ url: source.url, keys: source.keys.length }, 'JWKS fetched');
      } catch (err) {
        source.lastFailed = true;
        if (this.closing.signal.aborted) return;
        const ageSec = source.fetchedAt >= 0 ? Math.round((this.now() - source.fetchedAt) / 1000) : null;
        this.log.warn(
          { url: source.url, reason: (err as Error).message, knownKeysAgeSec: ageSec },
          this.failureMessage(source),
        );
      } finally {
        source.inflight = null;
      }
    };
    source.inflight = run();
    return source.inflight;
  }
}

/** The `iss` claim of a token whose signature is not checked yet (the key it picks does the check), or a refusal. */
function issuerOf(token: string): string {
  const iss = claimsOf(token).iss;
  if (typeof iss !== 'string' || iss === '')
    throw new JwtRejection(
      'Invalid JWT: it has no "iss" claim; with several providers the issuer says whose keys verify it',
    );
  return iss;
}

/** One candidate: that key. Several (the same `kid` in several JWKS): the first whose signature check passes, else the first. */
async function pick(keys: KeyObject[], header: JoseHeader, token: string): Promise<KeyObject> {
  if (keys.length === 1) return keys[0];
  for (const key of keys) {
    try {
      await compactVerify(token, key, { algorithms: [header.alg] });
      return key;
    } catch {
      // not this one
    }
  }
  return keys[0];
}
