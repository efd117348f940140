import type { KeySource } from './key-store';
import { int32, keySourceAt, spendAt, TRAILER, tupleEnd } from './key-tuple';

/** A slot of the table, four 32-bit words (a quarter of a cache line): all a probe reads before the row itself. */
const STRIDE = 4;
/** The token's hash (compared before the token); its page + 1 (0: the slot is empty); its row's offset; 1: let go. */
const HASH = 0;
const PAGE = 1;
const OFFSET = 2;
const DEAD = 3;
const FIRST_SLOTS = 1 << 11;
/** COPY's binary header: a signature, flags, and the length of an extension (then the extension). */
const HEADER = 19;

/**
 * Every key the bulk load read, as COPY's binary rows (key-tuple.ts), without a JavaScript object per key: the
 * chunks' bytes, and an open-addressing table of where each row starts, by token. A key becomes a KeySource only when
 * it is asked for (`read`), as often as it is. A slot holds all a probe needs to reach the row (its hash, page and
 * offset), so that finding a key costs one or two cache misses: the slot's, then the row's. An entry let go of (the
 * key changed or went, or is held as a record) stays in the table, marked, so that probing still passes over it.
 */
export class KeyIndex {
  private readonly pages: Buffer[] = [];
  /** Per page: where its first row starts, and how many rows the pages before it hold (`tokens` walks them). */
  private readonly firstRow: number[] = [];
  private readonly firstEntry: number[] = [];
  private slots = new Uint32Array(FIRST_SLOTS * STRIDE);
  /** Rows added. */
  entries = 0;
  /** Entries not let go of. */
  size = 0;
  /** More rows came than `limit` allows. */
  over = false;
  /** COPY's end mark was read. */
  ended = false;
  private header = true;
  /** The bytes of a row that the last chunk began. */
  private tail: Buffer | null = null;

  /** `limit`: the most rows held. */
  constructor(private readonly limit = Infinity) {}

  /** A chunk of COPY's binary output: each row it completes is held, up to the limit. */
  feed(chunk: Buffer): void {
    const page = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
    this.tail = null;
    let at = 0;
    if (this.header) {
      if (page.length < HEADER || page.length < HEADER + page.readUInt32BE(15)) return void (this.tail = page);
      at = HEADER + page.readUInt32BE(15);
      this.header = false;
    }
    const p = this.pages.length;
    const first = this.entries;
    const start = at;
    for (let end = tupleEnd(page, at); end !== -1; end = tupleEnd(page, at)) {
      if (end === TRAILER) {
        this.ended = true;
        break;
      }
      if (this.entries < this.limit) this.insert(page, p, at);
      else this.over = true;
      at = end;
    }
    if (this.entries !== first) {
      this.pages.push(page);
      this.firstRow.push(start);
      this.firstEntry.push(first);
    }
    // A row begun here ends in the next chunk: its bytes so far, copied (the page may be held for its other rows).
    if (!this.ended && at < page.length) this.tail = Buffer.from(page.subarray(at));
  }

  /** The tokens of entries `from` to `to` (those one `feed` added), walking their pages' rows. */
  *tokens(from: number, to: number): Generator<string> {
    let p = this.pages.length - 1;
    while (p > 0 && this.firstEntry[p] > from) p--;
    for (let e = this.firstEntry[p], at = this.firstRow[p]; e < to; e++) {
      if (p + 1 < this.pages.length && e === this.firstEntry[p + 1]) at = this.firstRow[++p];
      const page = this.pages[p];
      if (e >= from) yield page.toString('utf8', at + 6, at + 6 + int32(page, at + 2));
      at = tupleEnd(page, at);
    }
  }

  /** The key's row as read (kept here: it can be parsed again); undefined when it is not held. */
  read(token: string): KeySource | undefined {
    const s = this.find(token);
    if (s < 0 || this.slots[s + DEAD] !== 0) return undefined;
    return keySourceAt(this.pages[this.slots[s + PAGE] - 1], this.slots[s + OFFSET], token);
  }

  /** Writes the key's spend into its row as read (a parsed copy let go of had learned more): parsed again with it. */
  setSpend(token: string, spend: number): void {
    const s = this.find(token);
    if (s >= 0 && this.slots[s + DEAD] === 0)
      spendAt(this.pages[this.slots[s + PAGE] - 1], this.slots[s + OFFSET], spend);
  }

  has(token: string): boolean {
    const s = this.find(token);
    return s >= 0 && this.slots[s + DEAD] === 0;
  }

  /** The key changed or went: what was read of it is not served any more. */
  invalidate(token: string): void {
    const s = this.find(token);
    if (s >= 0 && this.slots[s + DEAD] === 0) {
      this.slots[s + DEAD] = 1;
      this.size--;
    }
  }

  /** The row at `offset` of `bytes`, which will be page `page`. */
  private insert(bytes: Buffer, page: number, offset: number): void {
    // At most half the slots are taken: a probe mostly stops at the first or second slot.
    if (2 * (this.entries + 1) * STRIDE > this.slots.length) this.grow();
    this.entries++;
    this.size++;
    const hash = hashOf(bytes, offset + 6, offset + 6 + int32(bytes, offset + 2));
    const s = this.free(this.slots, hash);
    this.slots[s + HASH] = hash;
    this.slots[s + PAGE] = page + 1;
    this.slots[s + OFFSET] = offset;
  }

  /** The first empty slot from `hash`'s. */
  private free(slots: Uint32Array, hash: number): number {
    const mask = slots.length - STRIDE;
    let s = (hash << 2) & mask;
    while (slots[s + PAGE] !== 0) s = (s + STRIDE) & mask;
    return s;
  }

  /**
   * The slot of `token`, or -1. A token of ASCII characters (a hex hash always is) is hashed and compared as it is,
   * its bytes being its characters: no Buffer made per lookup.
   */
  private find(token: string): number {
    const n = token.length;
    let hash = 0x811c9dc5;
    for (let i = 0; i < n; i++) {
      const c = token.charCodeAt(i);
      if (c > 0x7f) return this.findBytes(Buffer.from(token));
      hash = Math.imul(hash ^ c, 0x01000193);
    }
    hash >>>= 0;
    const slots = this.slots;
    const mask = slots.length - STRIDE;
    for (let s = (hash << 2) & mask; ; s = (s + STRIDE) & mask) {
      const page = slots[s + PAGE];
      if (page === 0) return -1;
      if (slots[s + HASH] !== hash) continue;
      const bytes = this.pages[page - 1];
      const at = slots[s + OFFSET] + 6;
      if (int32(bytes, at - 4) === n && sameChars(bytes, at, token)) return s;
    }
  }

  private findBytes(token: Buffer): number {
    const hash = hashOf(token, 0, token.length);
    const slots = this.slots;
    const mask = slots.length - STRIDE;
    for (let s = (hash << 2) & mask; ; s = (s + STRIDE) & mask) {
      const page = slots[s + PAGE];
      if (page === 0) return -1;
      if (slots[s + HASH] !== hash) continue;
      const bytes = this.pages[page - 1];
      const at = slots[s + OFFSET];
      const len = int32(bytes, at + 2);
      if (len === token.length && token.compare(bytes, at + 6, at + 6 + len) === 0) return s;
    }
  }

  /** Twice the slots, each entry placed again from its hash (an entry let go of is dropped: none asks for it). */
  private grow(): void {
    const old = this.slots;
    const slots = new Uint32Array(old.length * 2);
    for (let s = 0; s < old.length; s += STRIDE) {
      if (old[s + PAGE] === 0 || old[s + DEAD] !== 0) continue;
      const to = this.free(slots, old[s + HASH]);
      slots[to + HASH] = old[s + HASH];
      slots[to + PAGE] = old[s + PAGE];
      slots[to + OFFSET] = old[s + OFFSET];
    }
    this.slots = slots;
  }
}

/** The bytes from `at` are the characters of `ascii` (the caller checked the length). */
function sameChars(b: Buffer, at: number, ascii: string): boolean {
  for (let i = 0; i < ascii.length; i++) if (b[at + i] !== ascii.charCodeAt(i)) return false;
  return true;
}

/** FNV-1a over a token's bytes (all of them: tokens made up by hand may share their first bytes). */
function hashOf(b: Buffer, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}
