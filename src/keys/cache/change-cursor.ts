/**
 * How long a change may take from drawing its sequence number to its commit and still be read by the poll: a
 * transaction that drew 41 may commit after one that drew 42 was read, so each read starts from where the log
 * stood this long ago, not from the last number seen. (The broadcast covers anything slower.)
 */
export const COMMIT_LAG_MS = 10_000;

/** Where the next read of a change log starts (change-log.ts). */
export class ChangeCursor {
  /** Positions seen, oldest first: [when, last sequence number]. */
  private marks: [number, number][] = [];

  get started(): boolean {
    return this.marks.length > 0;
  }

  /** The log stood at `seq` before the bulk load read the keys. */
  start(seq: number): void {
    this.marks = [[0, seq]];
  }

  /** Read from after this number: the position seen at least `lagMs` (at most COMMIT_LAG_MS) before `now`. */
  from(now: number, lagMs = COMMIT_LAG_MS): number {
    let seq = this.marks[0][1];
    for (const [at, s] of this.marks) if (at <= now - lagMs) seq = s;
    return seq;
  }

  /** A read at `now` saw the log up to `seq`. */
  seen(seq: number, now: number): void {
    const last = this.marks[this.marks.length - 1][1];
    this.marks.push([now, Math.max(seq, last)]);
    // Keep the newest mark old enough to read from, and everything after it.
    let keep = 0;
    for (let i = 0; i < this.marks.length; i++) if (this.marks[i][0] <= now - COMMIT_LAG_MS) keep = i;
    if (keep > 0) this.marks = this.marks.slice(keep);
  }
}
