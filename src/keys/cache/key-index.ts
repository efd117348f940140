import type { KeySource } from './key-store';
import { KeySlots } from './key-slots';
import { keySourceAt, spendAt, TRAILER, tupleEnd, viewOf } from './key-tuple';

/** COPY's binary header: a signature, flags, and the length of an extension (then the extension). */
const HEADER = 19;

/**
 * Every key the bulk load read, as COPY's binary rows (key-tuple.ts), without a JavaScript object per key: the
 * chunks' bytes, and a table of where each row starts, by token (key-slots.ts). A key becomes a KeySource only when
 * it is asked for (`read`), as often as it is. An entry is let go of when the key changed or went, or is held as a
 * record.
 */
export class KeyIndex {
  private readonly pages: Buffer[] = [];
  /** Each page as a DataView, which reads a row's numbers. */
  private readonly views: DataView[] = [];
  /** Per page: where its first row starts, and how many rows the pages before it hold (`tokens` walks them). */
  private readonly firstRow: number[] = [];
  private readonly firstEntry: number[] = [];
  /** Per page: the bytes of the pages before it (a row's place as one number: `row`). */
  private readonly firstByte: number[] = [];
  private readonly slots = new KeySlots(this.views);
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
    const view = viewOf(page);
    const first = this.entries;
    const start = at;
    for (let end = tupleEnd(view, at); end !== -1; end = tupleEnd(view, at)) {
      if (end === TRAILER) {
        this.ended = true;
        break;
      }
      if (this.entries < this.limit) {
        this.slots.add(view, p, at);
        this.entries++;
        this.size++;
      } else this.over = true;
      at = end;
    }
    if (this.entries !== first) {
      this.pages.push(page);
      this.views.push(view);
      this.firstRow.push(start);
      this.firstEntry.push(first);
      this.firstByte.push(p === 0 ? 0 : this.firstByte[p - 1] + this.pages[p - 1].length);
    }
    // A row begun here ends in the next chunk: its bytes so far, copied (the page may be held for its other rows).
    if (!this.ended && at < page.length) this.tail = Buffer.from(page.subarray(at));
  }

  /** The tokens of entries `from` to `to` (those one `feed` added), walking their pages' rows. */
  *tokens(from: number, to: number): Generator<string> {
    if (from >= to) return; // a chunk that ended no row: nothing to walk
    let p = this.pages.length - 1;
    while (p > 0 && this.firstEntry[p] > from) p--;
    for (let e = this.firstEntry[p], at = this.firstRow[p]; e < to; e++) {
      if (p + 1 < this.pages.length && e === this.firstEntry[p + 1]) at = this.firstRow[++p];
      const view = this.views[p];
      if (e >= from) yield this.pages[p].toString('utf8', at + 6, at + 6 + view.getInt32(at + 2));
      at = tupleEnd(view, at);
    }
  }

  /** The key's row as read (kept here: it can be parsed again); undefined when it is not held. */
  read(token: string): KeySource | undefined {
    const s = this.slots.find(token);
    if (s < 0) return undefined;
    const p = this.slots.page(s);
    return keySourceAt(this.pages[p], this.views[p], this.slots.offset(s), token);
  }

  /**
   * Where the key's row is, as one number (its byte in the pages laid end to end), for `parse` and `setSpend` while
   * this index serves; -1 when the key is not held.
   */
  row(token: string): number {
    const s = this.slots.find(token);
    return s < 0 ? -1 : this.firstByte[this.slots.page(s)] + this.slots.offset(s);
  }

  /** The row at `row` (`row(token)`), parsed. */
  parse(row: number, token: string): KeySource {
    const p = this.pageAt(row);
    return keySourceAt(this.pages[p], this.views[p], row - this.firstByte[p], token);
  }

  /** Writes the key's spend into its row as read (a parsed copy let go of had learned more): parsed again with it. */
  setSpend(row: number, spend: number): void {
    const p = this.pageAt(row);
    spendAt(this.views[p], row - this.firstByte[p], spend);
  }

  has(token: string): boolean {
    return this.slots.find(token) >= 0;
  }

  /** The key changed or went: what was read of it is not served any more. */
  invalidate(token: string): void {
    const s = this.slots.find(token);
    if (s < 0) return;
    this.slots.letGo(s);
    this.size--;
  }

  /** The page holding byte `at` of the pages laid end to end. */
  private pageAt(at: number): number {
    let lo = 0;
    let hi = this.pages.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.firstByte[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
