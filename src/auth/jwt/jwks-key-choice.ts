import type { KeyObject } from 'node:crypto';
import { compactVerify } from 'jose';
import { claimsOf, type JoseHeader } from './jose-header';
import type { KeySource } from './jwks-source';
import { keyFitsAlgorithm } from './jwt-algorithms';
import { JwtRejection } from './jwt-rejection';

/**
 * Which held keys may verify a token. `sources`: the JWKS usable now. `iss`: with providers bound to their issuers,
 * the token's issuer (only its provider's keys count); undefined otherwise.
 */
export interface KeyChoice {
  readonly sources: readonly KeySource[];
  readonly bound: boolean;
  readonly iss: string | undefined;
}

/**
 * The keys that may verify a token with this header: those with its `kid` that fit its algorithm, in every usable
 * JWKS (of its issuer when providers are bound to their issuers).
 */
export function candidateKeys(header: JoseHeader, { sources, bound, iss }: KeyChoice): KeyObject[] {
  const found: KeyObject[] = [];
  for (const source of sources) {
    if (bound && source.issuer !== iss) continue;
    for (const k of source.keys)
      if ((header.kid === undefined || k.kid === header.kid) && keyFitsAlgorithm(header.alg, k.key, k.jwkAlg))
        found.push(k.key);
  }
  // No kid: accepted only when all the JWKS together hold exactly one key that fits its algorithm.
  return header.kid === undefined && found.length !== 1 ? [] : found;
}

/** Why no held key verifies a token with this header. */
export function missReason(header: JoseHeader, { sources, bound, iss }: KeyChoice): JwtRejection {
  let usable = sources;
  if (usable.length === 0)
    return new JwtRejection(
      'JWT signing keys are unavailable: the OpenID provider could not be reached',
      'jwks_unavailable',
    );
  if (bound) {
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

/** The `iss` claim of a token whose signature is not checked yet (the key it picks does the check), or a refusal. */
export function issuerOf(token: string): string {
  const iss = claimsOf(token).iss;
  if (typeof iss !== 'string' || iss === '')
    throw new JwtRejection(
      'Invalid JWT: it has no "iss" claim; with several providers the issuer says whose keys verify it',
    );
  return iss;
}

/** One candidate: that key. Several (the same `kid` in several JWKS): the first whose signature check passes, else the first. */
export async function pick(keys: KeyObject[], header: JoseHeader, token: string): Promise<KeyObject> {
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
