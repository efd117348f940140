const FIRST_SLOTS = 1024;

/**
 * A map of at most `max` entries that, full, lets go of one not read since the clock's hand last passed it (CLOCK,
 * the second-chance approximation of least recently used). A read sets one flag, where an LRU list moves its entry
 * (lru-cache bounded by size: several typed-array writes per read, and its size accounting on every insert); an
 * insert fills a free slot, so held entries cost a map entry to a small integer and a slot in three arrays, no
 * object each. Memory grows with the entries held, not with the bound.
 */
export class ClockCache<K, V> {
  private readonly slotOf = new Map<K, number>();
  private keyAt: (K | undefined)[] = [];
  private valueAt: (V | undefined)[] = [];
  /** Read (or set) since the hand last passed the slot. */
  private used = new Uint8Array(FIRST_SLOTS);
  /** Slots emptied by `delete`, filled first. */
  private free: number[] = [];
  private hand = 0;

  /** `onEvict`: an entry let go of for room (not a delete, a replacement or a clear). */
  constructor(
    readonly max: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    if (!(max >= 1)) throw new RangeError(`a ClockCache holds at least 1 entry, not ${max}`);
  }

  get size(): number {
    return this.slotOf.size;
  }

  /** The value, counted as a use. */
  get(key: K): V | undefined {
    const s = this.slotOf.get(key);
    if (s === undefined) return undefined;
    this.used[s] = 1;
    return this.valueAt[s];
  }

  /** The value, not counted as a use. */
  peek(key: K): V | undefined {
    const s = this.slotOf.get(key);
    return s === undefined ? undefined : this.valueAt[s];
  }

  has(key: K): boolean {
    return this.slotOf.has(key);
  }

  /**
   * Holds `value` for `key`; a new key when `max` are held lets another go (`onEvict`). A new key counts as not used
   * yet: one never read again goes before those read since the hand passed them.
   */
  set(key: K, value: V): void {
    const s = this.slotOf.get(key);
    if (s !== undefined) {
      this.valueAt[s] = value;
      this.used[s] = 1;
      return;
    }
    const free = this.free.length > 0 ? this.free.pop()! : this.keyAt.length < this.max ? this.newSlot() : this.evict();
    this.slotOf.set(key, free);
    this.keyAt[free] = key;
    this.valueAt[free] = value;
  }

  delete(key: K): boolean {
    const s = this.slotOf.get(key);
    if (s === undefined) return false;
    this.slotOf.delete(key);
    this.empty(s);
    this.free.push(s);
    return true;
  }

  clear(): void {
    this.slotOf.clear();
    this.keyAt = [];
    this.valueAt = [];
    this.used = new Uint8Array(FIRST_SLOTS);
    this.free = [];
    this.hand = 0;
  }

  keys(): IterableIterator<K> {
    return this.slotOf.keys();
  }

  private newSlot(): number {
    const s = this.keyAt.length;
    if (s === this.used.length) {
      const more = new Uint8Array(Math.min(this.max, s * 2));
      more.set(this.used);
      this.used = more;
    }
    this.keyAt.push(undefined);
    this.valueAt.push(undefined);
    return s;
  }

  /** Every slot is held: the first one from the hand not used since it last passed, emptied for reuse. */
  private evict(): number {
    const n = this.keyAt.length;
    let s = this.hand;
    while (this.used[s] === 1) {
      this.used[s] = 0;
      s = s + 1 === n ? 0 : s + 1;
    }
    this.hand = s + 1 === n ? 0 : s + 1;
    const key = this.keyAt[s] as K;
    const value = this.valueAt[s] as V;
    this.slotOf.delete(key);
    this.empty(s);
    this.onEvict?.(key, value);
    return s;
  }

  private empty(s: number): void {
    this.keyAt[s] = undefined;
    this.valueAt[s] = undefined;
    this.used[s] = 0;
  }
}
