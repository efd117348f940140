import type { KeyRecord } from '../keys/key-record';

/**
 * Nest token: looks a virtual key up by the SHA-256 hex of its secret. Declared here, by its user (the virtual-key
 * strategy); implemented by the keys module (its cache).
 */
export const KEY_LOOKUP = Symbol('KEY_LOOKUP');

export interface KeyLookup {
  /** Resolves null for an unknown (or deleted) key. Served from memory when cached: no database round-trip. */
  findByHash(tokenHash: string): Promise<KeyRecord | null>;
  /** The key if it is in memory now (no load, no promise): the auth guard's fast path for warm keys. */
  get(tokenHash: string): KeyRecord | undefined;
}
