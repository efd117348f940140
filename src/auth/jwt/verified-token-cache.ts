import { Inject, Injectable } from '@nestjs/common';
import { boundedLru } from '../../common/cache/bounded-lru';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import type { AuthResult } from '../auth-result';

/** Most distinct JWTs remembered at once; the least recently used is dropped first. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * JWTs already verified, keyed by the SHA-256 of the token (the token itself is never kept), so a client that
 * reuses its token pays the signature check once. An entry lives until the token's `exp`, and never longer than
 * `public_key_ttl` (a key withdrawn from the JWKS stops being trusted within that time).
 */
@Injectable()
export class VerifiedTokenCache {
  private readonly cache = boundedLru<string, AuthResult>(VERIFIED_TOKEN_CACHE_SIZE, { ttlAutopurge: false, allowStale: false });
  private readonly maxTtlMs: number;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.maxTtlMs = config.jwt.publicKeyTtlSec * 1000;
  }

  get(digest: string): AuthResult | undefined {
    return this.cache.get(digest);
  }

  /** `expSec`: the token's `exp` claim (seconds since the epoch). */
  set(digest: string, result: AuthResult, expSec: number): void {
    const ttl = Math.min(Math.floor(expSec * 1000 - Date.now()), this.maxTtlMs);
    if (ttl >= 1) this.cache.set(digest, result, { ttl });
  }

  get size(): number {
    return this.cache.size;
  }
}
