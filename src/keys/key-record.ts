/** A virtual key as the hot path sees it (from the in-memory cache). Holds the hash, never the secret. */
export interface KeyRecord {
  /** hex SHA-256 of the secret: LiteLLM's `token`, the key's id. */
  readonly token: string;
  readonly keyName: string;
  readonly keyAlias: string | null;
  /** Model groups the key may use; empty = all. */
  readonly models: readonly string[];
  /** Extra allowed routes; empty = the default (openai + info routes). */
  readonly allowedRoutes: readonly string[];
  readonly expires: Date | null;
  readonly maxBudget: number | null;
  /** Spend as last read or accumulated in this process (includes not-yet-flushed spend). */
  readonly spend: number;
  readonly rpmLimit: number | null;
  readonly tpmLimit: number | null;
  readonly maxParallelRequests: number | null;
  readonly teamId: string | null;
  readonly userId: string | null;
  readonly blocked: boolean;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** Nest token: looks a virtual key up by the SHA-256 hex of its secret. Implemented by the keys module (cached). */
export const KEY_LOOKUP = Symbol('KEY_LOOKUP');

export interface KeyLookup {
  /** Resolves null for an unknown (or deleted) key. Served from memory when cached: no database round-trip. */
  findByHash(tokenHash: string): Promise<KeyRecord | null>;
  /** The key if it is in memory now (no load, no promise): the auth guard's fast path for warm keys. */
  get(tokenHash: string): KeyRecord | undefined;
}
