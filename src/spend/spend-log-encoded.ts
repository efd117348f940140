import { dayOf } from './spend-log-days';
import type { SpendLogRow } from './spend-log-row';

/**
 * Spend log rows waiting to be written in one statement, written as bytes into one growing buffer as they come (the
 * format is `BinaryRows`'): no object per row outlives its call. Each row's start is kept, so the oldest rows can be
 * let go of (a full buffer) without rewriting the rest; the buffer is kept when the batch is emptied, for the next.
 */
export abstract class EncodedRows {
  protected buf: Buffer;
  protected view: DataView;
  protected off = 0;
  /** Where each row starts; `starts[count]` is where the next one will. */
  private starts = new Int32Array(1025);
  private first = 0;
  private count = 0;
  /** The UTC days the rows' start times fall on (their partitions must exist). */
  readonly days: number[] = [];
  private lastDay = NaN;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  }

  abstract add(row: SpendLogRow): void;

  /** Rows held. */
  get size(): number {
    return this.count - this.first;
  }

  /** Empty again, keeping its memory. */
  reset(): void {
    this.off = 0;
    this.first = 0;
    this.count = 0;
    this.days.length = 0;
    this.lastDay = NaN;
  }

  dropOldest(n: number): void {
    this.first = Math.min(this.count, this.first + n);
  }

  /** The bytes of the rows held. */
  protected held(): Buffer {
    return this.buf.subarray(this.starts[this.first], this.off);
  }

  /** Ends the row written up to `this.off`, started at `startTime`. */
  protected endRow(startTime: number): void {
    if (this.count + 1 >= this.starts.length) {
      const more = new Int32Array(this.starts.length * 2);
      more.set(this.starts);
      this.starts = more;
    }
    this.starts[++this.count] = this.off;
    const day = dayOf(startTime);
    if (day !== this.lastDay) {
      this.lastDay = day;
      if (!this.days.includes(day)) this.days.push(day);
    }
  }

  /** Room for `room` more bytes. */
  protected ensure(room: number): void {
    if (this.off + room <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.off + room));
    this.buf.copy(bigger, 0, 0, this.off);
    this.buf = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.length);
  }
}
