import { viewOf } from './key-tuple';

/** A slot, four 32-bit words (a quarter of a cache line): all a probe reads before the row itself. */
const STRIDE = 4;
/** The token's hash (compared before the token); its page + 1 (0: the slot is empty); its row's offset; 1: let go. */
const HASH = 0;
const PAGE = 1;
const OFFSET = 2;
const DEAD = 3;
const FIRST_SLOTS = 1 << 11;

/**
 * The token asked for, encoded once as UTF-8 (as a row's token is; an ASCII token's bytes are its characters), then
 * hashed and compared 4 bytes at a time: reading the string's characters twice, per character, cost more than the
 * encoding. Any token of up to 85 characters fits; a longer one is encoded into a buffer of its own.
 */
const SCRATCH = Buffer.alloc(256) as Buffer & { utf8Write(text: string, offset: number): number };
const SCRATCH_VIEW = viewOf(SCRATCH);

/**
 * The key index's open-addressing table (key-index.ts): by token, where its row is in the pages. A slot holds all a
 * probe needs to reach the row, so that finding a key costs one or two cache misses: the slot's, then the row's.
 * An entry let go of stays, marked, so that probing still passes over it, until the table grows.
 */
export class KeySlots {
  private slots = new Uint32Array(FIRST_SLOTS * STRIDE);
  /** Entries added since the table was last built. */
  private taken = 0;

  /** `pages`: views of the index's pages, where the rows' tokens are hashed and compared 4 bytes at a time. */
  constructor(private readonly pages: readonly DataView[]) {}

  /** The row at `offset` of `page`, which is (or is about to be) page number `p`. */
  add(page: DataView, p: number, offset: number): void {
    // At most half the slots are taken: a probe mostly stops at the first or second slot.
    if (2 * (this.taken + 1) * STRIDE > this.slots.length) this.grow();
    this.taken++;
    const hash = hashOf(page, offset + 6, page.getInt32(offset + 2));
    const s = free(this.slots, hash);
    this.slots[s + HASH] = hash;
    this.slots[s + PAGE] = p + 1;
    this.slots[s + OFFSET] = offset;
  }

  /** The slot of `token`'s row, or -1 (none, or let go of). */
  find(token: string): number {
    let bytes = SCRATCH_VIEW;
    let n: number;
    if (3 * token.length <= SCRATCH.length) n = SCRATCH.utf8Write(token, 0);
    else {
      const own = Buffer.from(token);
      bytes = viewOf(own);
      n = own.length;
    }
    const hash = hashOf(bytes, 0, n);
    const slots = this.slots;
    const mask = slots.length - STRIDE;
    for (let s = (hash << 2) & mask; ; s = (s + STRIDE) & mask) {
      const page = slots[s + PAGE];
      if (page === 0) return -1;
      if (slots[s + HASH] !== hash) continue;
      const row = this.pages[page - 1];
      const at = slots[s + OFFSET] + 6;
      if (row.getInt32(at - 4) === n && same(row, at, bytes, n)) return slots[s + DEAD] === 0 ? s : -1;
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

/** The `n` bytes from `at` in `row` are those of `token` from 0 (the caller checked the lengths). */
function same(row: DataView, at: number, token: DataView, n: number): boolean {
  const words = n & ~3;
  for (let i = 0; i < words; i += 4) if (row.getInt32(at + i) !== token.getInt32(i)) return false;
  for (let i = words; i < n; i++) if (row.getUint8(at + i) !== token.getUint8(i)) return false;
  return true;
}

/**
 * MurmurHash3 (x86, 32-bit, seed 0) of the `n` bytes from `from`: all of them (tokens made up by hand may share
 * their first bytes), read as little-endian words, and mixed so that every bit reaches the low bits a slot is
 * chosen by.
 */
function hashOf(b: DataView, from: number, n: number): number {
  const words = from + (n & ~3);
  let h = 0;
  for (let i = from; i < words; i += 4) {
    h ^= scramble(b.getInt32(i, true));
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  for (let i = from + n - 1; i >= words; i--) tail = (tail << 8) | b.getUint8(i);
  h ^= scramble(tail) ^ n;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function scramble(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  return Math.imul((k << 15) | (k >>> 17), 0x1b873593);
}
