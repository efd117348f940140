import type { KeyObject } from 'node:crypto';
import type { Algorithm } from 'jsonwebtoken';

/** Verified by jsonwebtoken (through passport-jwt): RSA PKCS#1 v1.5, RSA-PSS and ECDSA. */
export const JSONWEBTOKEN_ALGORITHMS: Algorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
];

/** Verified by jose: EdDSA (Ed25519/Ed448) and the fully-specified `Ed25519` name. jsonwebtoken has neither. */
export const EDDSA_ALGORITHMS = ['EdDSA', 'Ed25519'] as const;

const ALLOWED = new Set<string>([...JSONWEBTOKEN_ALGORITHMS, ...EDDSA_ALGORITHMS]);

/** Only asymmetric signature algorithms: never `none`, never HS* (a published key must not be able to sign). */
export function isAllowedAlgorithm(alg: string): boolean {
  return ALLOWED.has(alg);
}

export function isEdDsa(alg: string): boolean {
  return alg === 'EdDSA' || alg === 'Ed25519';
}

const EC_CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };
const MIN_RSA_BITS = 2048;

/**
 * Whether `key` may verify a token signed with `alg` (the key decides the algorithm family, never the token).
 * `jwkAlg` is the JWK's own `alg`, when it has one: the token must then use exactly that algorithm.
 */
export function keyFitsAlgorithm(alg: string, key: KeyObject, jwkAlg?: string): boolean {
  if (jwkAlg !== undefined && jwkAlg !== alg && !(isEdDsa(jwkAlg) && isEdDsa(alg))) return false;
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  switch (alg.slice(0, 2)) {
    case 'RS':
      return type === 'rsa' && (details?.modulusLength ?? 0) >= MIN_RSA_BITS;
    case 'PS':
      return (type === 'rsa' || type === 'rsa-pss') && (details?.modulusLength ?? 0) >= MIN_RSA_BITS;
    case 'ES':
      return type === 'ec' && details?.namedCurve === EC_CURVES[alg];
    default:
      if (alg === 'Ed25519') return type === 'ed25519';
      if (alg === 'EdDSA') return type === 'ed25519' || type === 'ed448';
      return false;
  }
}
