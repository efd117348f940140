import { int32 } from './key-tuple';

/** A slot, four 32-bit words (a quarter of a cache line): all a probe reads before the row itself. */
const STRIDE = 4;
/** The token's hash (compared before the token); its page + 1 (0: the slot is empty); its row's offset; 1: let go. */
const HASH = 0;
const PAGE = 1;
const OFFSET = 2;
const DEAD = 3;
const FIRST_SLOTS = 1 << 11;

/**
 * The key index's open-addressing table (key-index.ts): by token, where its row is in the pages. A slot holds all a
 * probe needs to reach the row, so that finding a key costs one or two cache misses: the slot's, then the row's.
 * An entry let go of stays, marked, so that probing still passes over it, until the table grows.
 */
export class KeySlots {
  private slots = new Uint32Array(FIRST_SLOTS * STRIDE);
  /** Entries added since the table was last built. */
  private taken = 0;

  /** `pages`: the index's pages, which the rows' tokens are compared in. */
  constructor(private readonly pages: readonly Buffer[]) {}

  /** The row at `offset` of `bytes`, which is (or is about to be) page `page`. */
  add(bytes: Buffer, page: number, offset: number): void {
    // At most half the slots are taken: a probe mostly stops at the first or second slot.
    if (2 * (this.taken + 1) * STRIDE > this.slots.length) this.grow();
    this.taken++;
    const hash = hashOf(bytes, offset + 6, offset + 6 + int32(bytes, offset + 2));
    const s = free(this.slots, hash);
    this.slots[s + HASH] = hash;
    this.slots[s + PAGE] = page + 1;
    this.slots[s + OFFSET] = offset;
  }

  /**
   * The slot of `token`'s row, or -1 (none, or let go of). A token of ASCII characters (a hex hash always is) is
   * hashed and compared as it is, its bytes being its characters: no Buffer made per lookup.
   */
  find(token: string): number {
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
      if (int32(bytes, at - 4) === n && sameChars(bytes, at, token)) return slots[s + DEAD] === 0 ? s : -1;
    }
  }

  /** The page of the row in slot `s` (`find`). */
  page(s: number): number {
    return this.slots[s + PAGE] - 1;
  }

  /** The offset in its page of the row in slot `s`. */
  offset(s: number): number {
    return this.slots[s + OFFSET];
  }

  /** Slot `s` is let go of: `find` answers -1 for its token from now on. */
  letGo(s: number): void {
    this.slots[s + DEAD] = 1;
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
      if (len === token.length && token.compare(bytes, at + 6, at + 6 + len) === 0)
        return slots[s + DEAD] === 0 ? s : -1;
    }
  }

  /** Twice the slots, each entry placed again from its hash; an entry let go of is dropped (none asks for it). */
  private grow(): void {
    const old = this.slots;
    const slots = new Uint32Array(old.length * 2);
    this.taken = 0;
    for (let s = 0; s < old.length; s += STRIDE) {
      if (old[s + PAGE] === 0 || old[s + DEAD] !== 0) continue;
      const to = free(slots, old[s + HASH]);
      slots[to + HASH] = old[s + HASH];
      slots[to + PAGE] = old[s + PAGE];
      slots[to + OFFSET] = old[s + OFFSET];
      this.taken++;
    }
    this.slots = slots;
  }
}

/** The first empty slot from `hash`'s. */
function free(slots: Uint32Array, hash: number): number {
  const mask = slots.length - STRIDE;
  let s = (hash << 2) & mask;
  while (slots[s + PAGE] !== 0) s = (s + STRIDE) & mask;
  return s;
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
