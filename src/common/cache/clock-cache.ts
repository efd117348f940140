/**
 * A map of at most `max` entries that, when full, evicts an entry not read since the clock hand last passed it
 * (the CLOCK approximation of least-recently-used). A read only marks its slot; an LRU list instead relinks the entry
 * on every read, touching two more entries at random places in memory, which a cache of a million keys read in
 * random order pays for on every call. Entries live in slot arrays indexed from one Map of small integers: no object
 * per entry, so holding a million costs the garbage collector nothing per entry beyond the values themselves.
 */
export class ClockCache<K, V> {
  private readonly slots = new Map<K, number>();
  private readonly keyAt: (K | undefined)[] = [];
  private readonly valueAt: (V | undefined)[] = [];
  /** 1: read (or written) since the hand last passed. */
  private readonly used: number[] = [];
  private readonly free: number[] = [];
  private hand = 0;

  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new RangeError('a ClockCache holds at least one entry');
  }

  get size(): number {
    return this.slots.size;
  }

  /** The value, marked as read. */
  get(key: K): V | undefined {
    const i = this.slots.get(key);
    if (i === undefined) return undefined;
    this.used[i] = 1;
    return this.valueAt[i];
  }

  /** The value, without marking it. */
  peek(key: K): V | undefined {
    const i = this.slots.get(key);
    return i === undefined ? undefined : this.valueAt[i];
  }

  has(key: K): boolean {
    return this.slots.has(key);
  }

  set(key: K, value: V): this {
    const held = this.slots.get(key);
    if (held !== undefined) {
      this.valueAt[held] = value;
      this.used[held] = 1;
      return this;
    }
    const i = this.free.length > 0 ? this.free.pop()! : this.keyAt.length < this.max ? this.keyAt.length : this.evict();
    this.keyAt[i] = key;
    this.valueAt[i] = value;
    this.used[i] = 1;
    this.slots.set(key, i);
    return this;
  }

  delete(key: K): boolean {
    const i = this.slots.get(key);
    if (i === undefined) return false;
    this.slots.delete(key);
    this.keyAt[i] = undefined;
    this.valueAt[i] = undefined;
    this.used[i] = 0;
    this.free.push(i);
    return true;
  }

  clear(): void {
    this.slots.clear();
    this.keyAt.length = 0;
    this.valueAt.length = 0;
    this.used.length = 0;
    this.free.length = 0;
    this.hand = 0;
  }

  /** Frees the first slot the hand finds unread (clearing the marks it passes) and answers it. */
  private evict(): number {
    const n = this.keyAt.length;
    for (;;) {
      const i = this.hand;
      this.hand = i + 1 === n ? 0 : i + 1;
      if (this.used[i] === 1) this.used[i] = 0;
      else {
        this.slots.delete(this.keyAt[i]!);
        return i;
      }
    }
  }
}
