import { ChangeCursor } from './change-cursor';
import type { KeySource, KeyStore } from './key-store';

const PRUNE_EVERY_MS = 3_600_000;

/** What the key cache does with each entry of the log, in the order the changes were made. */
export interface ChangeTarget {
  apply(row: KeySource): void;
  remove(token: string, seq: number): void;
}

/**
 * The key change log as the key cache reads it: rows whose change sequence moved, and tombstones, since the
 * cursor; applied in sequence order, so a removal after a change wins and a change after a removal (a token
 * created again) too. A read costs what changed, not what is held.
 */
export class KeyChangeLog {
  private readonly cursor = new ChangeCursor();
  private prunedAt = Date.now();

  constructor(
    private readonly store: KeyStore,
    private readonly target: ChangeTarget,
  ) {}

  get started(): boolean {
    return this.cursor.started;
  }

  start(seq: number): void {
    this.cursor.start(seq);
  }

  async read(): Promise<void> {
    const now = Date.now();
    const { rows, removed } = await this.store.changesSince(this.cursor.from(now));
    const entries: [number, KeySource | string][] = [];
    for (const r of rows) entries.push([Number(r.changeSeq), r]);
    for (const r of removed) entries.push([r.changeSeq, r.token]);
    entries.sort((a, b) => a[0] - b[0]);
    let last = 0;
    for (const [seq, entry] of entries) {
      if (typeof entry === 'string') this.target.remove(entry, seq);
      else this.target.apply(entry);
      last = seq;
    }
    this.cursor.seen(last, now);
    if (now - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = now;
      await this.store.pruneRemovals();
    }
  }
}
