import type { Logger } from 'pino';
import type { SpendWriter } from '../spend/spend-writer.service';
import type { ChangeLog } from './change-log';
import type { KeyRemoval, KeySource, KeyStore } from './key-store';
import type { KeyTable } from './key-table';

const PAGE = 5_000;

/**
 * Reads every key, a page at a time, up to the bound; if all fitted, unknown hashes are refused from memory from
 * then on. Run again after a broadcast gap, it refreshes what is held while the cache keeps serving. The change log's
 * position is read first, so that its reads start from before the first page.
 */
export class KeyBulkLoad {
  private running: Promise<void> | null = null;

  constructor(
    private readonly table: KeyTable,
    private readonly store: KeyStore,
    private readonly spend: SpendWriter,
    private readonly changes: ChangeLog<KeySource, KeyRemoval>,
    private readonly log: Logger,
  ) {}

  /** The load running now, if any. */
  get current(): Promise<void> | null {
    return this.running;
  }

  run(): Promise<void> {
    this.running ??= this.readAll().finally(() => (this.running = null));
    return this.running;
  }

  private async readAll(): Promise<void> {
    const t = this.table;
    const started = Date.now();
    const touched = (t.touched = new Set());
    try {
      const seq = await this.store.lastChange();
      let after = '';
      let count = 0;
      let over = false;
      for (;;) {
        const rows = await this.spend.readConsistent(() => this.store.page(after, PAGE));
        for (const row of rows) {
          if (count === t.maxKeys) over = true;
          if (over) break;
          count++;
          if (!touched.has(row.token)) t.hold(t.cached(row));
        }
        if (over || rows.length < PAGE) break;
        after = rows[rows.length - 1].token;
      }
      if (!this.changes.started) this.changes.start(seq);
      t.complete = !over;
      t.wantAll = false;
      if (!over) t.unknown.clear();
      this.log.info({ keys: count, all: !over, ms: Date.now() - started }, 'key cache loaded');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'key cache bulk load failed; keys are read on first use');
    } finally {
      t.touched = null;
    }
  }
}
