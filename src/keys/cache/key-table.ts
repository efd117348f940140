import type { LRUCache } from 'lru-cache';
import { boundedLru } from '../../common/cache/bounded-lru';
import { CachedKey } from '../cached-key';
import type { SpendWriter } from '../spend/spend-writer.service';
import type { KeySource } from './key-store';

const MAX_UNKNOWN = 10_000;
/** An unknown hash is answered from memory this long (when not every key is held: see `complete`). */
const UNKNOWN_TTL_MS = 10_000;

/**
 * The key cache's state, shared by its parts (key-cache.service.ts): the keys held, the hashes known not to be keys,
 * the loads running, and whether every key in the database is held.
 */
export class KeyTable {
  readonly keys: LRUCache<string, CachedKey>;
  readonly unknown = boundedLru<string, true>(MAX_UNKNOWN, { ttl: UNKNOWN_TTL_MS });
  readonly loading = new Map<string, Promise<CachedKey | null>>();
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
    this.keys = boundedLru<string, CachedKey>(maxKeys);
  }

  /** A row as held here: its spend (and spend per model group) plus what this instance has not written yet. */
  cached(row: KeySource): CachedKey {
    const t = row.token;
    return new CachedKey(row, this.spend.unflushed(t), (g) => this.spend.unflushedModel(t, g));
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

  /** A change to this token: loads running for it answer their callers but are not kept (key-misses.ts). */
  forgetLoads(token: string): void {
    this.loading.delete(token);
    this.touched?.add(token);
  }

  clear(): void {
    this.generation++;
    this.keys.clear();
    this.unknown.clear();
    this.loading.clear();
  }
}
