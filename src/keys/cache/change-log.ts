import { ChangeCursor, COMMIT_LAG_MS } from './change-cursor';

const PRUNE_EVERY_MS = 3_600_000;

/** An entry's place in its change sequence (a number: it stays far below 2^53). */
export interface Sequenced {
  readonly changeSeq: number | bigint;
}

/**
 * A table kept current by a change log: a trigger raises a row's `change_seq` (from a sequence) when a column the
 * cache holds changes, and a row that stops existing leaves a tombstone with its own number.
 */
export interface ChangeSource<R extends Sequenced, G extends Sequenced> {
  /** The last number drawn so far (0: none), read before a bulk load. */
  lastChange(): Promise<number>;
  /** Rows changed and tombstones left after `seq`. */
  changesSince(seq: number): Promise<{ rows: R[]; removed: G[] }>;
  /** Tombstones every running instance has read long ago. */
  pruneRemovals(): Promise<void>;
}

/** What a cache does with each entry of the log, in the order the changes were made. */
export interface ChangeTarget<R, G> {
  apply(row: R): void;
  remove(gone: G): void;
}

/**
 * A change log as a cache reads it: rows whose change sequence moved, and tombstones, since the cursor; applied in
 * sequence order, so a removal after a change wins and a change after a removal (the same id made again) too. One
 * read at a time: an older read's rows applied after a newer read's removals would bring a removed row back. A read
 * costs what changed, not what is held.
 */
export class ChangeLog<R extends Sequenced, G extends Sequenced> {
  private readonly cursor = new ChangeCursor();
  private prunedAt = Date.now();
  private reading: Promise<void> = Promise.resolve();
  /** Reads so far, and the entries (changed rows and tombstones) they returned: what the log has cost. */
  reads = 0;
  entriesRead = 0;

  constructor(
    private readonly source: ChangeSource<R, G>,
    private readonly target: ChangeTarget<R, G>,
  ) {}

  get started(): boolean {
    return this.cursor.started;
  }

  /** The log stood at `seq` when the bulk load began. */
  start(seq: number): void {
    this.cursor.start(seq);
  }

  /**
   * Reads and applies what changed since the position seen `lagMs` ago (a transaction may commit after a later number
   * was read: see change-cursor.ts). A shorter lag reads less, for a caller that only wants what is new.
   */
  read(lagMs = COMMIT_LAG_MS): Promise<void> {
    const next = this.reading.then(() => this.readOnce(lagMs));
    this.reading = next.catch(() => undefined);
    return next;
  }

  private async readOnce(lagMs: number): Promise<void> {
    const now = Date.now();
    const { rows, removed } = await this.source.changesSince(this.cursor.from(now, lagMs));
    const entries: [number, R | G, boolean][] = [];
    for (const r of rows) entries.push([Number(r.changeSeq), r, true]);
    for (const g of removed) entries.push([Number(g.changeSeq), g, false]);
    entries.sort((a, b) => a[0] - b[0]);
    this.reads++;
    this.entriesRead += entries.length;
    let last = 0;
    for (const [seq, entry, changed] of entries) {
      if (changed) this.target.apply(entry as R);
      else this.target.remove(entry as G);
      last = seq;
    }
    this.cursor.seen(last, now);
    if (now - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = now;
      await this.source.pruneRemovals();
    }
  }
}
