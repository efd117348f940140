import type { KeyCache } from '../key-cache.service';
import type { KeyRow, KeysRepository } from '../keys.repository';
import type { KeyEventsService } from '../invalidation/key-events.service';
import type { SpendWriter } from '../spend/spend-writer.service';

/** A written key change, applied to this instance's cache at once and broadcast so the others drop their copy. */
export class ChangeFanout {
  constructor(
    private readonly repo: KeysRepository,
    private readonly cache: KeyCache,
    private readonly spend: SpendWriter,
    private readonly events: KeyEventsService,
  ) {}

  /**
   * A changed row with its spend read again so that no spend write overlaps the read (SpendWriter.readConsistent):
   * the row an UPDATE returns may miss, or double with the unwritten amounts, a spend write that committed while it
   * ran. This row goes to the key cache (budget checks) and into the answer. Deleted meanwhile: the row as written.
   */
  async settled(row: KeyRow): Promise<KeyRow> {
    return (await this.spend.readConsistent(() => this.repo.findByToken(row.token))) ?? row;
  }

  /**
   * Apply to this instance now, then tell the others (`rowsAreNew`: `rows` were just created, under new tokens;
   * `renamed`: a regenerated key's [old, new] token, so the others move the spend they hold for it).
   */
  changed(rows: KeyRow[], removed: string[], rowsAreNew = false, renamed?: readonly [string, string]): Promise<void> {
    for (const t of removed) this.cache.drop(t);
    for (const r of rows) this.cache.put(r);
    const tokens = rows.map((r) => r.token);
    return this.events.publish({
      t: 'changed',
      k: [...removed, ...tokens],
      ...(rowsAreNew && tokens.length > 0 ? { n: tokens } : {}),
      ...(renamed ? { r: [renamed] } : {}),
    });
  }
}
