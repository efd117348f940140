/**
 * The records parsed from the key index while in use (key-table.ts), at most `max`, each with its row's place in
 * the index (`KeyIndex.row`). Room is made by second chance (CLOCK), not by a strict LRU: a read marks its entry
 * used, and when the cache is full a hand goes round the entries, unmarking the used ones, to the first one not used
 * since it last passed. A read is then one Map lookup and one store, and an insert one Map insert and a short sweep,
 * where a strict LRU relinks a list on both; a key used lately stays all the same.
 */
export class ParsedKeys<V> {
  private readonly slotOf = new Map<string, number>();
  private readonly tokens: (string | undefined)[] = [];
  private readonly values: (V | undefined)[] = [];
  /** Each entry's row in the index, for `evicted`. */
  private readonly rows: number[] = [];
  private used = new Uint8Array(64);
  /** Slots emptied by `delete`, filled first. */
  private readonly free: number[] = [];
  private hand = 0;

  private readonly max: number;

  /** `evicted`: an entry let go of for room (not by `delete` or `clear`), with its row. */
  constructor(
    max: number,
    private readonly evicted: (value: V, token: string, row: number) => void,
  ) {
    this.max = Math.max(1, max);
  }

  get size(): number {
    return this.slotOf.size;
  }

  /** The entry, marked used. */
  get(token: string): V | undefined {
    const s = this.slotOf.get(token);
    if (s === undefined) return undefined;
    this.used[s] = 1;
    return this.values[s];
  }

  /** The entry, not marked used. */
  peek(token: string): V | undefined {
    const s = this.slotOf.get(token);
    return s === undefined ? undefined : this.values[s];
  }

  /** Adds or replaces the entry of `token`, read from `row`; past the bound, one not used lately goes. */
  set(token: string, value: V, row: number): void {
    let s = this.slotOf.get(token);
    if (s === undefined) {
      s = this.free.pop() ?? (this.values.length < this.max ? this.grown() : this.evict());
      this.tokens[s] = token;
      this.slotOf.set(token, s);
    }
    this.values[s] = value;
    this.rows[s] = row;
    this.used[s] = 0;
  }

  delete(token: string): void {
    const s = this.slotOf.get(token);
    if (s === undefined) return;
    this.slotOf.delete(token);
    this.empty(s);
    this.free.push(s);
  }

  clear(): void {
    this.slotOf.clear();
    this.tokens.length = 0;
    this.values.length = 0;
    this.rows.length = 0;
    this.free.length = 0;
    this.used.fill(0);
    this.hand = 0;
  }

  /** A new slot at the end (the cache is below its bound). */
  private grown(): number {
    const s = this.values.length;
    if (s === this.used.length) {
      const used = new Uint8Array(Math.min(2 * s, this.max));
      used.set(this.used);
      this.used = used;
    }
    this.values.push(undefined);
    return s;
  }

  /** Empties the first slot from the hand not used since the hand last passed it (every slot is taken). */
  private evict(): number {
    const n = this.values.length;
    let s = this.hand;
    while (this.used[s] !== 0) {
      this.used[s] = 0;
      s = s + 1 === n ? 0 : s + 1;
    }
    this.hand = s + 1 === n ? 0 : s + 1;
    const token = this.tokens[s]!;
    const value = this.values[s]!;
    const row = this.rows[s];
    this.slotOf.delete(token);
    this.empty(s);
    this.evicted(value, token, row);
    return s;
  }

  private empty(s: number): void {
    this.tokens[s] = undefined;
    this.values[s] = undefined;
    this.used[s] = 0;
  }
}
