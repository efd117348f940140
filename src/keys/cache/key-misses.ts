import type { CachedKey } from '../cached-key';
import { KeyBatches } from './key-batches';
import type { KeySource } from './key-store';
import type { KeyTable } from './key-table';

/** Keys not held, read from the database on first use (in batches: key-batches.ts) and held from then on. */
export class KeyMisses {
  private readonly batches: KeyBatches;

  constructor(
    private readonly table: KeyTable,
    read: (tokens: readonly string[]) => Promise<KeySource[]>,
  ) {
    this.batches = new KeyBatches(read);
  }

  load(token: string): Promise<CachedKey | null> {
    const t = this.table;
    const gen = t.generation;
    const p: Promise<CachedKey | null> = this.batches.get(token).then(
      (row) => this.settle(token, p, row, gen),
      (err: unknown) => {
        if (t.loading.get(token) === p) t.loading.delete(token);
        // A key that could not be read is not held: until the next bulk load, misses go to the database.
        if (t.complete) [t.complete, t.wantAll] = [false, true];
        throw err;
      },
    );
    t.loading.set(token, p);
    return p;
  }

  /**
   * A load's answer. Still the token's current load: nothing changed the token meanwhile, so what was found is
   * kept. Let go of by a creation message only (the generation kept): the row was read after its creation, so a
   * copy found is kept, a "not found" is not.
   */
  private settle(token: string, p: Promise<CachedKey | null>, row: KeySource | null, gen: number): CachedKey | null {
    const t = this.table;
    const key = row ? t.cached(row) : null;
    if (t.loading.get(token) === p) {
      t.loading.delete(token);
      if (key) t.hold(key);
      else if (!t.complete) t.unknown.set(token, true);
    } else if (key && t.generation === gen && !t.has(token)) t.hold(key);
    return key;
  }
}
