import type { LRUCache } from 'lru-cache';
import { boundedLru } from '../../common/cache/bounded-lru';
import { CachedKey } from '../cached-key';
import type { SpendWriter } from '../spend/spend-writer.service';
import { KeyIndex } from './key-index';
import { ParsedKeys } from './parsed-keys';
import type { KeySource } from './key-store';

const MAX_UNKNOWN = 10_000;
/** An unknown hash is answered from memory this long (when not every key is held: see `complete`). */
const UNKNOWN_TTL_MS = 10_000;

/**
 * The key cache's state, shared by its parts (key-cache.service.ts): the keys held, the hashes known not to be keys,
 * the loads running, and whether every key in the database is held. A key is held in one of two ways, never both:
 * - as the bulk load read it, in `index` (key-index.ts), and parsed on use into `parsed` (parsed-keys.ts), a bounded
 *   cache of those in use lately: a record let go of there is parsed again from the index on its next use, so the
 *   memory a key costs once used is bounded by `key_cache_max_parsed_keys`, not by how many keys calls have used;
 * - as a record the index cannot make again, in `held`: a key made, changed or read since the load, or one whose
 *   spend was learned from the database since (its index entry is let go of then).
 */
export class KeyTable {
  readonly held: LRUCache<string, CachedKey>;
  readonly parsed: ParsedKeys<CachedKey>;
  /** Keys the bulk load read, as read. */
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
  /** Counts held records let go of for room: a bulk load during which one was cannot say every key is held. */
  drops = 0;

  constructor(
    readonly maxKeys: number,
    private readonly spend: SpendWriter,
    maxParsed = maxKeys,
  ) {
    // A record let go of for room is not held any more: nor is every key.
    this.held = boundedLru<string, CachedKey>(maxKeys, {
      dispose: (_key, _token, reason) => {
        if (reason !== 'evict') return;
        this.complete = false;
        this.drops++;
      },
    });
    // A parsed copy let go of for room leaves what it learned of its spend (its calls' costs) in the row it came from.
    this.parsed = new ParsedKeys<CachedKey>(Math.min(maxParsed, maxKeys), (key, token, row) =>
      this.index.setSpend(row, key.spend - this.spend.unflushed(token)),
    );
  }

  /** A row as held here: its spend (and spend per model group) plus what this instance has not written yet. */
  cached(row: KeySource): CachedKey {
    const t = row.token;
    // Spend per model group is only held for a key with model budgets, which live in `extra`.
    const model = row.extra === null ? undefined : (g: string) => this.spend.unflushedModel(t, g);
    return new CachedKey(row, this.spend.unflushed(t), model);
  }

  /** The key for a call (counted as used): held, parsed lately, or parsed now from the index. */
  lookup(token: string): CachedKey | undefined {
    return this.held.get(token) ?? this.parsed.get(token) ?? this.fromIndex(token);
  }

  /** A key held, parsed from the index if need be (where any key held counts, not only those in use). */
  peek(token: string): CachedKey | undefined {
    return this.held.peek(token) ?? this.parsed.peek(token) ?? this.fromIndex(token);
  }

  /** The token is held, as a record or as read. */
  has(token: string): boolean {
    return this.held.has(token) || this.index.has(token);
  }

  /**
   * The key as the bulk load read it, parsed, and kept parsed while it is in use. A key with a budget is held as a
   * record instead: its spend, per model group too, is checked on every call and learned from the database.
   */
  fromIndex(token: string): CachedKey | undefined {
    const row = this.index.row(token);
    if (row < 0) return undefined;
    const key = this.cached(this.index.parse(row, token));
    if (key.maxBudget !== null || key.modelSpend !== null) this.hold(key);
    else this.parsed.set(token, key, row);
    return key;
  }

  /**
   * The held key whose spend is about to be raised to a database total: a record from then on, since the index's
   * copy would not have that total.
   */
  learning(token: string): CachedKey | undefined {
    const held = this.held.get(token);
    if (held) return held;
    const key = this.parsed.peek(token) ?? this.fromIndex(token);
    if (key) this.hold(key);
    return key;
  }

  /**
   * Holds a record the index cannot make again; what the index read of the key is let go of. Past the bound the
   * least used records go (not while a bulk load runs: a key read apart meanwhile may yet meet its row, which the
   * load then lets go of; it trims once it ends).
   */
  hold(key: CachedKey): void {
    const token = key.token;
    this.parsed.delete(token);
    this.index.invalidate(token);
    this.held.set(token, key);
    this.unknown.delete(token);
    if (this.touched === null) this.trim();
  }

  /** Lets the least used held records go while the keys held are more than the bound. */
  trim(): void {
    while (this.held.size > 0 && this.held.size + this.index.size > this.maxKeys) this.held.pop();
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
    this.forget(token);
    this.forgetLoads(token);
  }

  /** Neither record of the token is served any more (what the index read of it: `forgetLoads`). */
  forget(token: string): void {
    this.held.delete(token);
    this.parsed.delete(token);
  }

  /**
   * A change to this token: loads running for it answer their callers but are not kept (key-misses.ts), and what the
   * bulk load read of it is not served.
   */
  forgetLoads(token: string): void {
    this.loading.delete(token);
    this.index.invalidate(token);
    this.parsed.delete(token);
    this.touched?.add(token);
  }

  /** Serves from a new index (a later bulk load): what was parsed from the one before is let go of. */
  swapIndex(next: KeyIndex): void {
    this.index = next;
    this.parsed.clear();
  }

  clear(): void {
    this.generation++;
    this.clears++;
    this.held.clear();
    this.swapIndex(new KeyIndex());
    this.unknown.clear();
    this.loading.clear();
  }
}
