import type { Logger } from 'pino';
import type { CachedKey } from '../cached-key';
import type { SpendWriter } from '../spend/spend-writer.service';
import type { ChangeLog } from './change-log';
import { KeyIndex } from './key-index';
import type { KeyRemoval, KeySource, KeyStore } from './key-store';
import type { KeyTable } from './key-table';

/** Keys per page where the store does not speak COPY (the embedded store). */
const PAGE = 5_000;

/**
 * Reads every key, up to the bound; if all fitted, unknown hashes are refused from memory from then on. On
 * PostgreSQL one COPY reads them into a key index (key-index.ts: kept as read, parsed on first use), and the first
 * load serves each chunk as it arrives; run again after a broadcast gap, a load reads into a new index while the
 * cache keeps serving, then serves from that one, and the parsed keys it read again are replaced as it reads them.
 * The embedded store is read in pages of parsed keys. The change log's position is read first, so that its reads
 * start from before the keys were.
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
    const drops = t.drops;
    try {
      const seq = await this.store.lastChange();
      const { count, over } = this.store.canCopy ? await this.copyAll(touched) : await this.readPages(touched);
      if (!this.changes.started) this.changes.start(seq);
      t.trim();
      // A key let go of for room while the load ran is held nowhere: then not every key is.
      t.complete = !over && t.drops === drops;
      t.wantAll = false;
      if (!over) t.unknown.clear();
      this.log.info({ keys: count, all: !over, ms: Date.now() - started }, 'key cache loaded');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'key cache bulk load failed; keys are read on first use');
    } finally {
      t.touched = null;
    }
  }

  /** Every key in one COPY; read again if everything held was forgotten meanwhile (what was read may be stale). */
  private async copyAll(touched: ReadonlySet<string>): Promise<{ count: number; over: boolean }> {
    const t = this.table;
    for (;;) {
      const clears = t.clears;
      const first = t.index.entries === 0 && t.held.size === 0;
      const next = new KeyIndex(t.maxKeys);
      if (first) t.swapIndex(next);
      await this.store.copyKeys(t.maxKeys, (chunk) => {
        const from = next.entries;
        next.feed(chunk);
        // Changed since the COPY's snapshot: the older copy is not served.
        for (const token of touched) next.invalidate(token);
        if (!first) this.refresh(next, from);
      });
      // And changed after its last rows arrived, before its answer ended.
      for (const token of touched) next.invalidate(token);
      if (t.clears !== clears) continue;
      if (!next.ended) throw new Error('the keys COPY ended before its end mark');
      // Held as records meanwhile (made, changed or read apart): as new as the COPY's copy, or newer.
      if (first) for (const token of t.held.keys()) next.invalidate(token);
      else {
        this.refreshHeld(next);
        t.swapIndex(next);
      }
      return { count: next.entries, over: next.over };
    }
  }

  /**
   * A later load's rows: the keys held as records among them are replaced now (their spend carried); the others are
   * served from the new index once the load ends.
   */
  private refresh(next: KeyIndex, from: number): void {
    for (const token of next.tokens(from, next.entries)) this.renew(next, token);
  }

  /**
   * Records held since their rows went by (spend learned, or read apart, while a later load ran): each gives way to
   * the row the load read when that row is newer in the change log, so a change the broadcast missed is not hidden.
   */
  private refreshHeld(next: KeyIndex): void {
    for (const token of [...this.table.held.keys()]) this.renew(next, token);
  }

  /**
   * A held record and the row a later load read of it: the row, its spend carried, when the change log numbers it
   * later (a change the broadcast missed), else the record (read since, or the same row); the row is let go of.
   * Nothing for a token not both held and read.
   */
  private renew(next: KeyIndex, token: string): void {
    const t = this.table;
    const held = t.held.peek(token);
    const row = held && next.read(token);
    if (!row) return;
    next.invalidate(token);
    if (Number(row.changeSeq) > held.seq) t.hold(this.carried(t.cached(row), held));
  }

  /**
   * The COPY's snapshot may predate spend the held copy has learned since (written here, or told by another
   * instance): within a period spend only grows, so the larger is kept.
   */
  private carried(fresh: CachedKey, held: CachedKey): CachedKey {
    const token = held.token;
    const unflushed = this.spend.unflushed(token);
    fresh.adopt(held.spend - unflushed, held.resetAtMs, unflushed);
    if (held.modelSpend) {
      const model = (g: string) => this.spend.unflushedModel(token, g);
      fresh.adoptModels(Object.fromEntries([...held.modelSpend].map(([g, v]) => [g, v - model(g)])), model);
    }
    return fresh;
  }

  /** Every key in pages of parsed rows (the embedded store). */
  private async readPages(touched: ReadonlySet<string>): Promise<{ count: number; over: boolean }> {
    const t = this.table;
    let after = '';
    let count = 0;
    for (;;) {
      const rows = await this.spend.readConsistent(() => this.store.page(after, PAGE));
      for (const row of rows) {
        if (count === t.maxKeys) return { count, over: true };
        count++;
        if (!touched.has(row.token)) t.hold(t.cached(row));
      }
      if (rows.length < PAGE) return { count, over: false };
      after = rows[rows.length - 1].token;
    }
  }
}
