import type { Logger } from 'pino';
import type { CachedKey } from '../cached-key';
import type { SpendWriter } from '../spend/spend-writer.service';
import { ChangeLog } from './change-log';
import type { KeyRemoval, KeySource, KeyStore } from './key-store';
import type { KeyTable } from './key-table';
import { OnDemandReads } from './on-demand-reads';

/**
 * How far back a read for an unknown hash starts: a key made elsewhere a moment ago is past the last position seen,
 * and a creation that drew its number this long before committing is left to the poll (which looks further back).
 */
const RECENT_LAG_MS = 1_000;

/**
 * The key cache kept current from the key change log (key-store.ts): read every `user_api_key_cache_ttl` as a
 * safety net behind the broadcast, and on demand for a hash not held while every key is, so that a key made on
 * another instance a moment ago (its creator may be faster than the broadcast) is accepted on first use.
 */
export class KeyLogFollower {
  readonly log: ChangeLog<KeySource, KeyRemoval>;
  private readonly reads: OnDemandReads;

  constructor(
    private readonly table: KeyTable,
    store: KeyStore,
    private readonly spend: SpendWriter,
    private readonly logger: Logger,
  ) {
    this.log = new ChangeLog(store, { apply: (row) => this.fromLog(row), remove: (gone) => this.removed(gone) });
    this.reads = new OnDemandReads(() =>
      this.spend
        .readConsistent(() => this.log.read(RECENT_LAG_MS))
        .catch((err: unknown) => this.logger.debug({ err: (err as Error).message }, 'key change log not read')),
    );
  }

  /** The periodic read; a failure leaves the cached keys serving. */
  async poll(): Promise<void> {
    try {
      await this.spend.readConsistent(() => this.log.read());
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message },
        'key change log not read (database unavailable); cached keys keep serving',
      );
    }
  }

  /**
   * A hash not held while every key is: no key, unless the change log (read once for every such hash arriving
   * together, and a few times a second at most) has it now. Past that rate, or with the database away, it is
   * refused from memory.
   */
  async absent(token: string): Promise<CachedKey | null> {
    await this.reads.after();
    return this.table.lookup(token) ?? this.table.loading.get(token) ?? null;
  }

  /** A changed row: replaces an older copy; held from now on when every key is. */
  private fromLog(row: KeySource): void {
    const t = this.table;
    const held = t.peek(row.token);
    if (held ? held.seq >= Number(row.changeSeq) : !t.complete) {
      if (!held) t.unknown.delete(row.token);
      return;
    }
    t.replace(row);
  }

  /** A token removed: a copy older than the removal goes. */
  private removed(gone: KeyRemoval): void {
    const held = this.table.peek(gone.token);
    if (held && held.seq < gone.changeSeq) this.table.remove(gone.token);
  }
}
