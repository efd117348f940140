import type { KeyObject } from 'node:crypto';
import { JwksClient } from 'jwks-rsa';
import type { JwksDocument } from './jwks-fetcher';

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

export interface VerifyKey {
  readonly kid?: string;
  /** The JWK's own `alg`, when it declares one. */
  readonly jwkAlg?: string;
  readonly key: KeyObject;
}

/**
 * One configured URL (a JWKS, or a discovery document whose `jwks_uri` is followed), what it last gave, and when it
 * may be fetched again. Times are JwksKeyStore.now() milliseconds.
 */
export class KeySource {
  keys: readonly VerifyKey[] = [];
  /** The issuer whose tokens these keys verify: configured (`litellm_jwtauth.issuers`), else found by a fetch. */
  issuer: string | undefined;
  /** The last fetch gave a plain JWKS, with no discovery document naming its issuer. */
  plain = false;
  warnedNoIssuer = false;
  readonly client: JwksClient;
  /** Time of the last successful fetch; -1 = never. */
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

  /** Fetched, and no longer ago than `maxAgeMs` (the TTL plus the stale period). */
  usable(now: number, maxAgeMs: number): boolean {
    return this.fetchedAt >= 0 && now - this.fetchedAt <= maxAgeMs;
  }

  /** Past the TTL: refresh in the background, at most once per retry interval (a TTL of 0 cannot mean a fetch per token). */
  mayRevalidate(now: number): boolean {
    return this.inflight === null && now - this.lastAttemptAt >= JWKS_RETRY_INTERVAL_MS;
  }

  /**
   * An unknown `kid`: refetch now unless one such refetch happened within the refetch interval (a provider that
   * rotated its keys is seen at once; random kids cannot make the gateway hammer it). After a failed fetch,
   * the retry interval applies instead.
   */
  mayFetchForMiss(now: number): boolean {
    if (this.inflight !== null) return false;
    return this.lastFailed
      ? now - this.lastAttemptAt >= JWKS_RETRY_INTERVAL_MS
      : now - this.lastMissFetchAt >= JWKS_REFETCH_INTERVAL_MS;
  }
}
