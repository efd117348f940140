import type { KeySource } from './key-store';
import { int32, keySourceAt, spendAt, TRAILER, tupleEnd } from './key-tuple';

const FIRST_ENTRIES = 1 << 10;
/** COPY's binary header: a signature, flags, and the length of an extension (then the extension). */
const HEADER = 19;

/**
 * Every key the bulk load read, as COPY's binary rows (key-tuple.ts), without a JavaScript object per key: the
 * chunks' bytes, and an open-addressing table over typed arrays of where each row starts, by token. A key becomes a
 * KeySource only when it is asked for (`read`), as often as it is. An entry let go of (the key changed or went, or
 * is held as a record) stays in the table, marked, so that probing still passes over it.
 */
export class KeyIndex {
  private readonly pages: Buffer[] = [];
  private slots = new Int32Array(FIRST_ENTRIES * 2);
  private pageOf = new Uint32Array(FIRST_ENTRIES);
  private offsetOf = new Uint32Array(FIRST_ENTRIES);
  /** Each entry's token hash: the table grows without reading the tokens again, and probes compare it first. */
  private hashes = new Uint32Array(FIRST_ENTRIES);
  private dead = new Uint8Array(FIRST_ENTRIES);
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
    const p = this.pages.push(page) - 1;
    const first = this.entries;
    for (let end = tupleEnd(page, at); end !== -1; end = tupleEnd(page, at)) {
      if (end === TRAILER) {
        this.ended = true;
        break;
      }
      if (this.entries < this.limit) this.insert(p, at);
      else this.over = true;
      at = end;
    }
    if (this.entries === first) this.pages.pop();
    // A row begun here ends in the next chunk: its bytes so far, copied (the page may be held for its other rows).
    if (!this.ended && at < page.length) this.tail = Buffer.from(page.subarray(at));
  }

  /** The tokens of entries `from` to `to` (those one `feed` added). */
  *tokens(from: number, to: number): Generator<string> {
    for (let e = from; e < to; e++) {
      const page = this.pages[this.pageOf[e]];
      const at = this.offsetOf[e];
      yield page.toString('utf8', at + 6, at + 6 + int32(page, at + 2));
    }
  }

  /** The key's row as read (kept here: it can be parsed again); undefined when it is not held. */
  read(token: string): KeySource | undefined {
    const e = this.find(token);
    if (e < 0 || this.dead[e]) return undefined;
    return keySourceAt(this.pages[this.pageOf[e]], this.offsetOf[e], token);
  }

  /** Writes the key's spend into its row as read (a parsed copy let go of had learned more): parsed again with it. */
  setSpend(token: string, spend: number): void {
    const e = this.find(token);
    if (e >= 0 && this.dead[e] === 0) spendAt(this.pages[this.pageOf[e]], this.offsetOf[e], spend);
  }

  has(token: string): boolean {
    const e = this.find(token);
    return e >= 0 && this.dead[e] === 0;
  }

  /** The key changed or went: what was read of it is not served any more. */
  invalidate(token: string): void {
    const e = this.find(token);
    if (e >= 0 && this.dead[e] === 0) {
      this.dead[e] = 1;
      this.size--;
    }
  }

  private insert(page: number, offset: number): void {
    if (this.entries === this.pageOf.length) this.grow();
    const e = this.entries++;
    const bytes = this.pages[page];
    this.pageOf[e] = page;
    this.offsetOf[e] = offset;
    this.hashes[e] = hashOf(bytes, offset + 6, offset + 6 + int32(bytes, offset + 2));
    this.size++;
    this.place(e);
  }

  private place(e: number): void {
    const mask = this.slots.length - 1;
    let s = this.hashes[e] & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = e + 1;
  }

  /**
   * The entry of `token`, or -1. A token of ASCII characters (a hex hash always is) is hashed and compared as it
   * is, its bytes being its characters: no Buffer made per lookup.
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
    const mask = this.slots.length - 1;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s] - 1;
      if (e < 0) return -1;
      if (this.hashes[e] !== hash) continue;
      const page = this.pages[this.pageOf[e]];
      const at = this.offsetOf[e] + 6;
      if (int32(page, at - 4) === n && sameChars(page, at, token)) return e;
    }
  }

  private findBytes(bytes: Buffer): number {
    const hash = hashOf(bytes, 0, bytes.length);
    const mask = this.slots.length - 1;
    for (let s = hash & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s] - 1;
      if (e < 0) return -1;
      if (this.hashes[e] !== hash) continue;
      const page = this.pages[this.pageOf[e]];
      const at = this.offsetOf[e];
      const len = int32(page, at + 2);
      if (len === bytes.length && bytes.compare(page, at + 6, at + 6 + len) === 0) return e;
    }
  }

  /** Twice the entries, and the table rebuilt at twice the slots: it stays at most half full. */
  private grow(): void {
    const n = this.pageOf.length * 2;
    this.pageOf = copied(this.pageOf, new Uint32Array(n));
    this.offsetOf = copied(this.offsetOf, new Uint32Array(n));
    this.hashes = copied(this.hashes, new Uint32Array(n));
    this.dead = copied(this.dead, new Uint8Array(n));
    this.slots = new Int32Array(n * 2);
    for (let e = 0; e < this.entries; e++) this.place(e);
  }
}

/** The bytes from `at` are the characters of `ascii` (the caller checked the length). */
function sameChars(b: Buffer, at: number, ascii: string): boolean {
  for (let i = 0; i < ascii.length; i++) if (b[at + i] !== ascii.charCodeAt(i)) return false;
  return true;
}

function copied<T extends Uint32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** FNV-1a over a token's bytes (all of them: tokens made up by hand may share their first bytes). */
function hashOf(b: Buffer, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}
