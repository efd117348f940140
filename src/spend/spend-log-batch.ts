import type { SpendLogRow } from './spend-log-row';

/**
 * Spend log rows waiting to be written in one statement, encoded as they come (`BinaryRows` for PostgreSQL,
 * `TextRows` for the embedded store). The oldest can be let go of when the buffer is full.
 */
export interface SpendLogBatch {
  /** Rows held. */
  readonly size: number;
  /** The UTC days the rows' start times fall on (their partitions must exist). */
  readonly days: readonly number[];
  add(row: SpendLogRow): void;
  dropOldest(n: number): void;
}
