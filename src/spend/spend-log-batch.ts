import { dayOf } from './spend-log-days';
import type { SpendLogRow } from './spend-log-row';

/**
 * Spend log rows waiting to be written in one statement: encoded as they come for PostgreSQL (`BinaryRows`), kept as
 * rows for the embedded store (`RowList`). The oldest can be let go of when the buffer is full.
 */
export interface SpendLogBatch {
  /** Rows held. */
  readonly size: number;
  /** The UTC days the rows' start times fall on (their partitions must exist). */
  readonly days: readonly number[];
  add(row: SpendLogRow): void;
  dropOldest(n: number): void;
}

/** Rows as objects, for a store written by statements with parameters rather than COPY. */
export class RowList implements SpendLogBatch {
  private readonly list: SpendLogRow[] = [];
  private first = 0;
  readonly days: number[] = [];

  get size(): number {
    return this.list.length - this.first;
  }

  add(row: SpendLogRow): void {
    this.list.push(row);
    const day = dayOf(row.startTime);
    if (!this.days.includes(day)) this.days.push(day);
  }

  dropOldest(n: number): void {
    this.first = Math.min(this.list.length, this.first + n);
  }

  rows(): readonly SpendLogRow[] {
    return this.first === 0 ? this.list : this.list.slice(this.first);
  }
}
