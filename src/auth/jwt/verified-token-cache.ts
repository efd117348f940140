import { Inject, Injectable, Optional } from '@nestjs/common';
import { boundedLru } from '../../common/cache/bounded-lru';
import { sha256Hex } from '../../common/crypto/sha256';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import type { AuthResult } from '../auth-result';
import { signatureStart } from '../credentials/credential';
import { JwksKeyStore } from './jwks-key-store';

/** Most distinct JWTs remembered at once; the least recently used is dropped first. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

interface Verified {
  readonly result: AuthResult;
  /** `header.payload` of the token: a hit must be this very token, not another one carrying its signature. */
  readonly signed: string;
}

/**
 * JWTs already verified, so a client that reuses its token pays the signature check once. Keyed by the SHA-256 of
 * the token's signature, hashed on every call: about half of an RS256 token, so half the hashing of the whole token;
 * the entry keeps the header and payload, which anyone who sees the token can read and which are no
 * credential without the signature, and a hit must match them exactly. The signature itself is never kept. An
 * entry lives until the token's `exp`, and never longer than `public_key_ttl` (a key withdrawn from the JWKS stops
 * being trusted within that time) nor than the keys that verified it stay usable while the JWKS cannot be fetched;
 * when a fetch finds a key withdrawn, every entry is dropped at once.
 */
@Injectable()
export class VerifiedTokenCache {
  private readonly cache = boundedLru<string, Verified>(VERIFIED_TOKEN_CACHE_SIZE, {
    ttlAutopurge: false,
    allowStale: false,
  });
  private readonly maxTtlMs: number;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, @Optional() keys?: JwksKeyStore) {
    this.maxTtlMs = config.jwt.publicKeyTtlSec * 1000;
    // A key withdrawn from the JWKS: every remembered token is verified again (those of the withdrawn key then fail).
    keys?.onKeyWithdrawn(() => this.cache.clear());
  }

  /** `sig`: where the token's signature starts (`signatureStart`). */
  get(token: string, sig = signatureStart(token)): AuthResult | undefined {
    if (sig <= 0 || sig === token.length) return undefined;
    const hit = this.cache.get(sha256Hex(token.slice(sig)));
    return hit !== undefined && hit.signed === token.slice(0, sig - 1) ? hit.result : undefined;
  }

  /**
   * `expSec`: the token's `exp` claim (seconds since the epoch); `keysUsableMs`: how long the keys that verified it
   * stay usable (JwksKeyStore.usableForMs). Unsigned tokens are never kept.
   */
  set(token: string, result: AuthResult, expSec: number, keysUsableMs = Infinity): void {
    const sig = signatureStart(token);
    if (sig <= 0 || sig === token.length) return;
    const ttl = Math.min(Math.floor(expSec * 1000 - Date.now()), this.maxTtlMs, Math.floor(keysUsableMs));
    // A copy: a slice of the token would keep the whole token, signature included, alive with the entry.
    const signed = Buffer.from(token.slice(0, sig - 1), 'latin1').toString('latin1');
    if (ttl >= 1) this.cache.set(sha256Hex(token.slice(sig)), { result, signed }, { ttl });
  }

  get size(): number {
    return this.cache.size;
  }
}
