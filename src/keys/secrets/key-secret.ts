import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../../common/crypto/sha256';

/** Prefix of every virtual key secret (LiteLLM's convention). */
export const KEY_PREFIX = 'sk-';
/** A custom secret shorter than this is refused: it would be guessable. */
export const MIN_CUSTOM_KEY_LENGTH = 20;

const HASH = /^[0-9a-f]{64}$/;

/** A new secret: 32 random bytes, base64url, `sk-` prefixed (46 characters). */
export function newSecret(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** The key's id: hex SHA-256 of the secret (LiteLLM's `token`). The only form stored. */
export function hashSecret(secret: string): string {
  return sha256Hex(secret);
}

/** A hint that identifies a key to a human without revealing it: `sk-...abcd`. */
export function maskSecret(secret: string): string {
  return `${KEY_PREFIX}...${secret.slice(-4)}`;
}

export function isTokenHash(value: string): boolean {
  return HASH.test(value);
}

/**
 * Management routes accept a key either as its secret (`sk-...`) or as its token (hash): both resolve to the token.
 * Anything else resolves to null (unknown key).
 */
export function toToken(keyOrToken: string): string | null {
  if (keyOrToken.startsWith(KEY_PREFIX)) return hashSecret(keyOrToken);
  return isTokenHash(keyOrToken) ? keyOrToken : null;
}

/** How a key may be named in an error message: a token as-is, a secret only masked. */
export function describeKeyRef(keyOrToken: string): string {
  return keyOrToken.startsWith(KEY_PREFIX) ? maskSecret(keyOrToken) : keyOrToken;
}
