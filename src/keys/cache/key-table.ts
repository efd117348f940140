import type { LRUCache } from 'lru-cache';
import { boundedLru } from '../../common/cache/bounded-lru';
import { CachedKey } from '../cached-key';
import type { SpendWriter } from '../spend/spend-writer.service';
import { KeyIndex } from './key-index';
import type { KeySource } from './key-store';

const MAX_UNKNOWN = 10_000;
/** An unknown hash is answered from memory this long (when not every key is held: see `complete`). */
const UNKNOWN_TTL_MS = 10_000;

/**
 * The key cache's state, shared by its parts (key-cache.service.ts): the keys held (parsed, in `keys`, or as the bulk
 * load read them, in `index`, until their first use), the hashes known not to be keys, the loads running, and
 * whether every key in the database is held. A key is in one of the two, never both.
 */
export class KeyTable {
  readonly keys: LRUCache<string, CachedKey>;
  /** Keys the bulk load read and nothing has asked for yet (key-index.ts). */
  index = new KeyIndex();
  readonly unknown = boundedLru<string, true>(MAX_UNKNOWN, { ttl: UNKNOWN_TTL_MS });
  readonly loading = new Map<string, Promise<CachedKey | null>>();
  /** Counts `clear` calls: a bulk load running meanwhile starts again. */
  clears = 0;
  /** Counts changes that spoil a load running meanwhile (key-misses.ts). */
  generation = 0;
  /** Every key in the database is held: a hash not held is no key. */
  complete = false;
  /** A key could not be read while every key was held: the next poll reads them all again. */
  wantAll = false;
  /** Tokens changed while the bulk load runs: its pages must not put back an older copy. */
  touched: Set<string> | null = null;

  constructor(
    readonly maxKeys: number,
    private readonly spend: SpendWriter,
  ) {
    // An evicted key is not held any more: what the bulk load read of it (older than what was evicted) is not either.
    this.keys = boundedLru<string, CachedKey>(maxKeys, {
      dispose: (_key, token, reason) => reason === 'evict' && this.index.invalidate(token),
    });
  }

  /** A row as held here: its spend (and spend per model group) plus what this instance has not written yet. */
  cached(row: KeySource): CachedKey {
    const t = row.token;
    // Spend per model group is only held for a key with model budgets, which live in `extra`.
    const model = row.extra === null ? undefined : (g: string) => this.spend.unflushedModel(t, g);
    return new CachedKey(row, this.spend.unflushed(t), model);
  }

  /** A key held, parsed from the index if it was there (where any key held counts, not only those in use). */
  peek(token: string): CachedKey | undefined {
    return this.keys.peek(token) ?? this.fromIndex(token);
  }

  /** The key as the bulk load read it, on its first use: parsed, and held as such from now on. */
  fromIndex(token: string): CachedKey | undefined {
    const row = this.index.take(token);
    if (row === undefined) return undefined;
    const key = this.cached(row);
    this.hold(key);
    return key;
  }

  /** Holds a key; one more than the bound evicts the least used, and then not every key is held any more. */
  hold(key: CachedKey): void {
    if (this.complete && this.keys.size >= this.maxKeys && !this.keys.has(key.token)) this.complete = false;
    this.keys.set(key.token, key);
    this.unknown.delete(key.token);
  }

  /** A newer row of this token (made here, or read from the change log): held from now on. */
  replace(row: KeySource): CachedKey {
    this.generation++;
    const key = this.cached(row);
    this.hold(key);
    this.forgetLoads(row.token);
    return key;
  }

  /** The token is no key any more. */
  remove(token: string): void {
    this.generation++;
    this.keys.delete(token);
    this.forgetLoads(token);
  }

  /**
   * A change to this token: loads running for it answer their callers but are not kept (key-misses.ts), and what the
   * bulk load read of it is not served.
   */
  forgetLoads(token: string): void {
    this.loading.delete(token);
    this.index.invalidate(token);
    this.touched?.add(token);
  }

  clear(): void {
    this.generation++;
    this.clears++;
    this.keys.clear();
    this.index = new KeyIndex();
    this.unknown.clear();
    this.loading.clear();
  }
}
