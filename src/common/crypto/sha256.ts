import { hash, type BinaryLike } from 'node:crypto';

/**
 * Hex SHA-256: a virtual key's id (token), the verified-token cache key, what the master key is compared by, and a
 * migration's checksum. One-shot `crypto.hash` (Node >= 20.12): cheaper than a createHash() object on short inputs.
 */
export function sha256Hex(value: BinaryLike): string {
  return hash('sha256', value, 'hex');
}
