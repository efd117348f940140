import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { APP_LOGGER } from '../logging/logger';
import type { KeyLookup } from '../auth/key-lookup';
import type { CachedKey } from './cached-key';
import { KeyBulkLoad } from './cache/key-bulk-load';
import { KeyLogFollower } from './cache/key-log-follower';
import { KeyMisses } from './cache/key-misses';
import { KeySpendSync } from './cache/key-spend-sync';
import { KeyStore, type KeySource } from './cache/key-store';
import { KeyTable } from './cache/key-table';
import { KeysRepository } from './keys.repository';
import { KeyEventsService } from './invalidation/key-events.service';
import type { KeyEvent } from './invalidation/key-events';
import { SpendWriter } from './spend/spend-writer.service';

const NONE: Promise<null> = Promise.resolve(null);

/**
 * The hot path's view of virtual keys (implements KEY_LOOKUP). At start every key is read in bulk, up to
 * `key_cache_max_keys` (key-bulk-load.ts), into an index of the rows as read, each parsed on use and kept parsed
 * while in use, up to `key_cache_max_parsed_keys` (key-index.ts, key-table.ts); while all of them fit (`complete`), a hash not held is no key unless one shared read of the change
 * log finds it (key-log-follower.ts). Beyond the bound, misses are read in batches (key-misses.ts) and unknown hashes
 * remembered a while. Changes made here apply at once; other instances' arrive as KeyEvents, and the change log read
 * every `user_api_key_cache_ttl` catches any message lost, at a cost that follows the changes, not the keys held.
 * Spend totals: key-spend-sync.ts.
 */
@Injectable()
export class KeyCache implements KeyLookup, OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly table: KeyTable;
  private readonly misses: KeyMisses;
  private readonly follower: KeyLogFollower;
  private readonly bulk: KeyBulkLoad;
  private readonly spendSync: KeySpendSync;
  private readonly resetting = new Set<string>();
  private pollTimer?: NodeJS.Timeout;

  constructor(
    private readonly repo: KeysRepository,
    private readonly spend: SpendWriter,
    private readonly events: KeyEventsService,
    @Inject(APP_LOGGER) private readonly log: Logger,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    store: KeyStore,
  ) {
    this.table = new KeyTable(config.keyCache.maxKeys, spend, config.keyCache.maxParsedKeys);
    this.misses = new KeyMisses(this.table, (tokens) => spend.readConsistent(() => store.byTokens(tokens)));
    this.follower = new KeyLogFollower(this.table, store, spend, log);
    this.bulk = new KeyBulkLoad(this.table, store, spend, this.follower.log, log);
    this.spendSync = new KeySpendSync(this.table, spend, events);
  }

  onModuleInit(): void {
    this.events.register({ onEvent: (e) => this.onEvent(e), onResync: () => this.resync() });
    this.spend.onFlushed((r) => this.spendSync.afterFlush(r));
    this.pollTimer = setInterval(() => void this.poll(), this.config.keyCache.resyncIntervalMs);
    this.pollTimer.unref();
  }

  onApplicationBootstrap(): void {
    void this.bulk.run();
  }

  onModuleDestroy(): void {
    clearInterval(this.pollTimer);
  }

  /** Settles when the bulk load running now (if any) has ended. */
  async loaded(): Promise<void> {
    await this.bulk.current;
  }

  /** Every key is held, so unknown hashes are refused from memory. */
  get holdsAllKeys(): boolean {
    return this.table.complete;
  }

  findByHash(token: string): Promise<CachedKey | null> {
    const t = this.table;
    const hit = t.lookup(token);
    if (hit) return Promise.resolve(hit);
    const running = t.loading.get(token);
    if (running) return running;
    if (t.complete) return this.follower.absent(token);
    if (t.unknown.get(token)) return NONE;
    return this.misses.load(token);
  }

  /** The cached key, without loading (synchronous: admission, and the auth guard's warm-key path). */
  get(token: string): CachedKey | undefined {
    return this.table.lookup(token);
  }

  /** A key was created or changed on this instance: serve the new row from now on. */
  put(row: KeySource): CachedKey {
    return this.table.replace(row);
  }

  /** A key was deleted or renamed away on this instance: refuse it from now on. */
  drop(token: string): void {
    this.table.remove(token);
    if (!this.table.complete) this.table.unknown.set(token, true);
  }

  /**
   * The key's budget period is over (seen by admission): reset it in the database once, in the background, and
   * serve the row as it is then. Until that answer the key's spend counts as 0.
   */
  periodOver(token: string): void {
    if (this.resetting.has(token)) return;
    this.resetting.add(token);
    this.repo
      .resetDuePeriod(token)
      .then((row) => {
        if (row && this.table.peek(token)) this.put(row);
      })
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'key budget period reset failed'))
      .finally(() => this.resetting.delete(token));
  }

  /** Forget everything (a broadcast gap, when not every key is held): the next use of each key reloads it. */
  clear(): void {
    this.table.clear();
  }

  /** The change log since the last read (a safety net behind the broadcast); a failed bulk load is tried again. */
  private async poll(): Promise<void> {
    if (this.bulk.current) return;
    if (!this.follower.log.started || this.table.wantAll) return void this.bulk.run();
    await this.follower.poll();
  }

  /** Broadcast messages may have been missed: read everything again (all held), or forget everything. */
  private resync(): void {
    if (this.table.complete) void this.bulk.run().then(() => this.poll());
    else this.clear();
  }

  private onEvent(e: KeyEvent): void {
    if (e.t === 'spend') return this.spendSync.onSpend(e);
    if (e.t !== 'changed') return;
    const t = this.table;
    // A copy of a new row was read after the row was written: for those, only "unknown" (or a load that may yet
    // answer "not found") is stale, and loads of other keys are not disturbed.
    // A key regenerated on another instance: the spend this one holds for the old token follows the key.
    for (const [from, to] of e.r ?? []) {
      this.spend.expectRename(from, to);
      this.spend.completeRename(from, to);
    }
    const created = e.n && e.n.length > 0 ? new Set(e.n) : null;
    if (!created || e.k.some((token) => !created.has(token))) t.generation++;
    for (const token of e.k) {
      if (!created?.has(token)) t.forget(token);
      t.unknown.delete(token);
      t.forgetLoads(token);
      // Every key held: read the changed one now (callers meanwhile wait for it), so the set stays whole.
      if (t.complete && !t.has(token)) void this.misses.load(token).catch(() => undefined);
    }
  }
}
