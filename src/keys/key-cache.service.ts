import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { boundedLru } from '../common/cache/bounded-lru';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { APP_LOGGER } from '../logging/logger';
import type { KeyLookup } from '../auth/key-lookup';
import { CachedKey } from './cached-key';
import { KeyBatches } from './cache/key-batches';
import { KeyChangeLog } from './cache/key-change-log';
import { KeyStore, type KeySource } from './cache/key-store';
import { KeysRepository } from './keys.repository';
import { KeyEventsService } from './invalidation/key-events.service';
import type { KeyEvent, SpendTotal } from './invalidation/key-events';
import { SpendWriter, type FlushResult } from './spend/spend-writer.service';

const MAX_UNKNOWN = 10_000;
/** An unknown hash is answered from memory this long (when not every key is held: see `complete`). */
const UNKNOWN_TTL_MS = 10_000;
const PAGE = 5_000;
/** How long an unknown hash waits for a creation message before it is refused (all keys held). */
const ABSENT_WAIT_MS = 25;
const NONE: Promise<null> = Promise.resolve(null);

/**
 * The hot path's view of virtual keys (implements KEY_LOOKUP). At start every key is read in bulk, up to
 * `key_cache_max_keys`; while all of them fit (`complete`), a hash not held is no key and is refused from memory.
 * Beyond the bound, misses are read in batches (key-batches.ts) and unknown hashes remembered a while. Changes made
 * here apply at once; other instances' arrive as KeyEvents, and a change log read every `user_api_key_cache_ttl`
 * (key-change-log.ts) catches any message lost, at a cost that follows the changes, not the keys held.
 */
@Injectable()
export class KeyCache implements KeyLookup, OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly keys: LRUCache<string, CachedKey>;
  private readonly unknown = boundedLru<string, true>(MAX_UNKNOWN, { ttl: UNKNOWN_TTL_MS });
  private readonly loading = new Map<string, Promise<CachedKey | null>>();
  private readonly resetting = new Set<string>();
  private readonly batches: KeyBatches;
  private readonly changes: KeyChangeLog;
  private readonly maxKeys: number;
  /** Counts changes that spoil a load running meanwhile (see settle). */
  private generation = 0;
  /** Every key in the database is held: a hash not held is no key. */
  private complete = false;
  /** Tokens changed while the bulk load runs: its pages must not put back an older copy. */
  private touched: Set<string> | null = null;
  private bulk: Promise<void> | null = null;
  /** A key could not be read while every key was held: the next poll reads them all again. */
  private wantAll = false;
  private pollTimer?: NodeJS.Timeout;

  constructor(
    private readonly repo: KeysRepository,
    private readonly spend: SpendWriter,
    private readonly events: KeyEventsService,
    @Inject(APP_LOGGER) private readonly log: Logger,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly store: KeyStore,
  ) {
    this.maxKeys = config.keyCache.maxKeys;
    this.keys = boundedLru<string, CachedKey>(this.maxKeys);
    this.batches = new KeyBatches((tokens) => this.spend.readConsistent(() => this.store.byTokens(tokens)));
    this.changes = new KeyChangeLog(store, {
      apply: (row) => this.fromLog(row),
      remove: (token, seq) => this.removedInLog(token, seq),
    });
  }

  onModuleInit(): void {
    this.events.register({ onEvent: (e) => this.onEvent(e), onResync: () => this.resync() });
    this.spend.onFlushed((r) => this.afterFlush(r));
    this.pollTimer = setInterval(() => void this.poll(), this.config.keyCache.resyncIntervalMs);
    this.pollTimer.unref();
  }

  onApplicationBootstrap(): void {
    void this.loadAll();
  }

  onModuleDestroy(): void {
    clearInterval(this.pollTimer);
  }

  /** Settles when the bulk load running now (if any) has ended. */
  async loaded(): Promise<void> {
    await this.bulk;
  }

  /** Every key is held, so unknown hashes are refused from memory. */
  get holdsAllKeys(): boolean {
    return this.complete;
  }

  findByHash(token: string): Promise<CachedKey | null> {
    const hit = this.keys.get(token);
    if (hit) return Promise.resolve(hit);
    const running = this.loading.get(token);
    if (running) return running;
    if (this.complete) return this.absent(token);
    if (this.unknown.get(token)) return NONE;
    return this.load(token);
  }

  /** The cached key, without loading (synchronous: admission, and the auth guard's warm-key path). */
  get(token: string): CachedKey | undefined {
    return this.keys.get(token);
  }

  /** A key was created or changed on this instance: serve the new row from now on. */
  put(row: KeySource): CachedKey {
    this.generation++;
    const key = this.cached(row);
    this.hold(key);
    this.forgetLoads(row.token);
    return key;
  }

  /** A key was deleted or renamed away on this instance: refuse it from now on. */
  drop(token: string): void {
    this.generation++;
    this.keys.delete(token);
    this.forgetLoads(token);
    if (!this.complete) this.unknown.set(token, true);
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
        if (row && this.keys.peek(token)) this.put(row);
      })
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'key budget period reset failed'))
      .finally(() => this.resetting.delete(token));
  }

  /** Forget everything (a broadcast gap, when not every key is held): the next use of each key reloads it. */
  clear(): void {
    this.generation++;
    this.keys.clear();
    this.unknown.clear();
    this.loading.clear();
  }

  /** A row as held here: its spend (and spend per model group) plus what this instance has not written yet. */
  private cached(row: KeySource): CachedKey {
    const t = row.token;
    return new CachedKey(row, this.spend.unflushed(t), (g) => this.spend.unflushedModel(t, g));
  }

  /** Holds a key; one more than the bound evicts the least used, and then not every key is held any more. */
  private hold(key: CachedKey): void {
    if (this.complete && this.keys.size >= this.maxKeys && !this.keys.has(key.token)) this.complete = false;
    this.keys.set(key.token, key);
    this.unknown.delete(key.token);
  }

  /** A change to this token: loads running for it answer their callers but are not kept (see settle). */
  private forgetLoads(token: string): void {
    this.loading.delete(token);
    this.touched?.add(token);
  }

  /**
   * Not held while every key is: no key. Decided ABSENT_WAIT_MS later, so that the creation message of a key made on
   * another instance a moment ago (its creator may be faster than the broadcast) is read first; a refusal costs no
   * query, only that wait.
   */
  private absent(token: string): Promise<CachedKey | null> {
    return new Promise((resolve) =>
      setTimeout(() => resolve(this.keys.get(token) ?? this.loading.get(token) ?? null), ABSENT_WAIT_MS),
    );
  }

  private load(token: string): Promise<CachedKey | null> {
    const gen = this.generation;
    const p: Promise<CachedKey | null> = this.batches.get(token).then(
      (row) => this.settle(token, p, row, gen),
      (err: unknown) => {
        if (this.loading.get(token) === p) this.loading.delete(token);
        // A key that could not be read is not held: until the next bulk load, misses go to the database.
        if (this.complete) [this.complete, this.wantAll] = [false, true];
        throw err;
      },
    );
    this.loading.set(token, p);
    return p;
  }

  /**
   * A load's answer. Still the token's current load: nothing changed the token meanwhile, so what was found is
   * kept. Let go of by a creation message only (the generation kept): the row was read after its creation, so a
   * copy found is kept, a "not found" is not.
   */
  private settle(token: string, p: Promise<CachedKey | null>, row: KeySource | null, gen: number): CachedKey | null {
    const key = row ? this.cached(row) : null;
    if (this.loading.get(token) === p) {
      this.loading.delete(token);
      if (key) this.hold(key);
      else if (!this.complete) this.unknown.set(token, true);
    } else if (key && this.generation === gen && !this.keys.peek(token)) this.hold(key);
    return key;
  }

  /**
   * Reads every key, a page at a time, up to the bound; if all fitted, unknown hashes are refused from memory from
   * then on. Run again after a broadcast gap, it refreshes what is held while the cache keeps serving.
   */
  private loadAll(): Promise<void> {
    this.bulk ??= this.readAll().finally(() => (this.bulk = null));
    return this.bulk;
  }

  private async readAll(): Promise<void> {
    const started = Date.now();
    const touched = (this.touched = new Set());
    try {
      const seq = await this.store.lastChange();
      let after = '';
      let count = 0;
      let over = false;
      for (;;) {
        const rows = await this.spend.readConsistent(() => this.store.page(after, PAGE));
        for (const row of rows) {
          if (count === this.maxKeys) over = true;
          if (over) break;
          count++;
          if (!touched.has(row.token)) this.hold(this.cached(row));
        }
        if (over || rows.length < PAGE) break;
        after = rows[rows.length - 1].token;
      }
      if (!this.changes.started) this.changes.start(seq);
      this.complete = !over;
      this.wantAll = false;
      if (!over) this.unknown.clear();
      this.log.info({ keys: count, all: !over, ms: Date.now() - started }, 'key cache loaded');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'key cache bulk load failed; keys are read on first use');
    } finally {
      this.touched = null;
    }
  }

  /** The change log since the last read (a safety net behind the broadcast); a failed bulk load is tried again. */
  private async poll(): Promise<void> {
    if (this.bulk) return;
    if (!this.changes.started || this.wantAll) return void this.loadAll();
    try {
      await this.spend.readConsistent(() => this.changes.read());
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message },
        'key change log not read (database unavailable); cached keys keep serving',
      );
    }
  }

  /** A changed row from the log: replaces an older copy; held from now on when every key is. */
  private fromLog(row: KeySource): void {
    const held = this.keys.peek(row.token);
    if (held ? held.seq >= Number(row.changeSeq) : !this.complete) {
      if (!held) this.unknown.delete(row.token);
      return;
    }
    this.generation++;
    this.forgetLoads(row.token);
    this.hold(this.cached(row));
  }

  /** A token removed, from the log: a copy older than the removal goes. */
  private removedInLog(token: string, seq: number): void {
    const held = this.keys.peek(token);
    if (!held || held.seq >= seq) return;
    this.generation++;
    this.keys.delete(token);
    this.forgetLoads(token);
  }

  /** Broadcast messages may have been missed: read everything again (all held), or forget everything. */
  private resync(): void {
    if (this.complete) void this.loadAll().then(() => this.poll());
    else this.clear();
  }

  private onEvent(e: KeyEvent): void {
    if (e.t === 'changed') {
      // A copy of a new row was read after the row was written: for those, only "unknown" (or a load that may yet
      // answer "not found") is stale, and loads of other keys are not disturbed.
      // A key regenerated on another instance: the spend this one holds for the old token follows the key.
      for (const [from, to] of e.r ?? []) {
        this.spend.expectRename(from, to);
        this.spend.completeRename(from, to);
      }
      const created = e.n && e.n.length > 0 ? new Set(e.n) : null;
      if (!created || e.k.some((t) => !created.has(t))) this.generation++;
      for (const token of e.k) {
        if (!created?.has(token)) this.keys.delete(token);
        this.unknown.delete(token);
        this.forgetLoads(token);
        // Every key held: read the changed one now (callers meanwhile wait for it), so the set stays whole.
        if (this.complete && !this.keys.peek(token)) void this.load(token).catch(() => undefined);
      }
      return;
    }
    if (e.t !== 'spend') return;
    for (const [token, dbSpend, resetAt] of e.k) {
      const key = this.keys.peek(token);
      if (key) key.adopt(dbSpend, resetAt ?? Infinity, this.spend.unflushed(token));
    }
    for (const [token, totals] of e.m ?? []) this.adoptModels(token, totals);
  }

  /**
   * Our own write answered the database totals: adopt the keys' (teams, users and end users: AccessObjects), and
   * tell the other instances all of them. Within a period spend only grows, so a total is never lowered: another
   * instance's newer total may have arrived (by broadcast) before this answer.
   */
  private afterFlush(r: FlushResult): void {
    for (const [token, dbSpend] of r.keys) {
      const key = this.keys.peek(token);
      if (key) key.adopt(dbSpend, r.periods?.get(`k:${token}`) ?? Infinity, this.spend.unflushed(token));
    }
    for (const [token, totals] of r.keyModels ?? []) this.adoptModels(token, totals);
    const totals = (prefix: string, m: ReadonlyMap<string, number> | undefined): SpendTotal[] =>
      [...(m ?? [])].map(([id, total]) => {
        const end = r.periods?.get(prefix + id);
        return end === undefined ? [id, total] : [id, total, end];
      });
    const event = {
      t: 'spend' as const,
      k: totals('k:', r.keys),
      p: totals('t:', r.teams),
      u: totals('u:', r.users),
      e: totals('e:', r.endUsers),
      ...(r.keyModels && r.keyModels.size > 0 ? { m: [...r.keyModels] } : {}),
    };
    if (event.k.length + event.p.length + event.u.length + event.e.length > 0) void this.events.publish(event);
  }

  private adoptModels(token: string, totals: Readonly<Record<string, number>>): void {
    this.keys.peek(token)?.adoptModels(totals, (g) => this.spend.unflushedModel(token, g));
  }
}
