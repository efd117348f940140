import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { APP_LOGGER } from '../../logging/logger';
import type { JoseHeader } from './jose-header';
import { candidateKeys, issuerOf, missReason, pick, type KeyChoice } from './jwks-key-choice';
import { discoverIssuer, fetchJwksDocument } from './jwks-fetcher';
import { JWKS_FETCH_TIMEOUT_MS, KeySource } from './jwks-source';
import { JwtRejection } from './jwt-rejection';

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
      if (source.fetchedAt >= 0 && now - source.fetchedAt > this.ttlMs && source.mayRevalidate(now))
        void this.refresh(source);
    }
    const known = candidateKeys(header, this.choice(now, iss));
    if (known.length > 0) return pick(known, header, token);
    const fetches: Promise<void>[] = [];
    for (const source of this.sources) {
      if (source.inflight) fetches.push(source.inflight);
      else if (source.mayFetchForMiss(now)) {
        source.lastMissFetchAt = now;
        fetches.push(this.refresh(source));
      }
    }
    await Promise.all(fetches);
    const after = this.choice(this.now(), iss);
    const fetched = candidateKeys(header, after);
    if (fetched.length > 0) return pick(fetched, header, token);
    throw missReason(header, after);
  }

  /**
   * How long the keys held now stay usable if no fetch succeeds meanwhile (the least over the JWKS holding keys):
   * a verified token is not trusted from the cache for longer than the keys that verified it.
   */
  usableForMs(): number {
    const now = this.now();
    let least = Infinity;
    for (const s of this.sources)
      if (s.keys.length > 0 && s.usable(now, this.maxAgeMs)) least = Math.min(least, s.fetchedAt + this.maxAgeMs - now);
    return least === Infinity ? 0 : least;
  }

  /** The JWKS usable at `now`, for a token of issuer `iss` (see KeyChoice). */
  private choice(now: number, iss: string | undefined): KeyChoice {
    return { sources: this.sources.filter((s) => s.usable(now, this.maxAgeMs)), bound: this.bound, iss };
  }

  /** Monotonic milliseconds (a seam for tests that move time). */
  protected now(): number {
    return performance.now();
  }

  private failureMessage(source: KeySource): string {
    if (source.fetchedAt < 0) return 'JWKS fetch failed; JWTs cannot be verified until it succeeds';
    if (source.usable(this.now(), this.maxAgeMs)) return 'JWKS fetch failed; keys fetched earlier stay in use';
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
