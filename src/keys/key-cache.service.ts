import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { boundedLru } from '../common/cache/bounded-lru';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { APP_LOGGER } from '../logging/logger';
import { CachedKey } from './cached-key';
import { KeyEventsService } from './invalidation/key-events.service';
import type { KeyEvent, SpendTotal } from './invalidation/key-events';
import type { KeyLookup } from '../auth/key-lookup';
import { KeysRepository, type KeyRow } from './keys.repository';
import { SpendWriter, type FlushResult } from './spend/spend-writer.service';

const MAX_KEYS = 100_000;
const MAX_UNKNOWN = 10_000;
/** An unknown hash is answered from memory this long (a flood of bad keys costs one query per key, not per call). */
const UNKNOWN_TTL_MS = 10_000;
const RESYNC_CHUNK = 1_000;
const NONE: Promise<null> = Promise.resolve(null);

/**
 * The hot path's view of virtual keys (implements KEY_LOOKUP): a bounded in-memory map in front of the repository,
 * with negative entries. Changes made here apply at once; changes made by other instances arrive as KeyEvents.
 * A load that raced with a change is answered but not cached (a generation counter tells).
 */
@Injectable()
export class KeyCache implements KeyLookup, OnModuleInit, OnModuleDestroy {
  private readonly keys = boundedLru<string, CachedKey>(MAX_KEYS);
  private readonly unknown = boundedLru<string, true>(MAX_UNKNOWN, { ttl: UNKNOWN_TTL_MS });
  private readonly loading = new Map<string, Promise<CachedKey | null>>();
  private readonly resetting = new Set<string>();
  private generation = 0;
  private resyncTimer?: NodeJS.Timeout;

  constructor(
    private readonly repo: KeysRepository,
    private readonly spend: SpendWriter,
    private readonly events: KeyEventsService,
    @Inject(APP_LOGGER) private readonly log: Logger,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  onModuleInit(): void {
    this.events.register({ onEvent: (e) => this.onEvent(e), onResync: () => this.clear() });
    this.spend.onFlushed((r) => this.afterFlush(r));
    // Safety net behind the broadcast: every cached key is re-read this often, so a missed message heals.
    this.resyncTimer = setInterval(() => void this.resync(), this.config.keyCache.resyncIntervalMs);
    this.resyncTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.resyncTimer);
  }

  findByHash(token: string): Promise<CachedKey | null> {
    const hit = this.keys.get(token);
    if (hit) return Promise.resolve(hit);
    if (this.unknown.get(token)) return NONE;
    return this.load(token);
  }

  /** The cached key, without loading (synchronous: admission, and the auth guard's warm-key path). */
  get(token: string): CachedKey | undefined {
    return this.keys.get(token);
  }

  /** A key was created or changed on this instance: serve the new row from now on. */
  put(row: KeyRow): CachedKey {
    this.generation++;
    const key = this.cached(row);
    this.keys.set(row.token, key);
    this.unknown.delete(row.token);
    return key;
  }

  /** A key was deleted or renamed away on this instance: refuse it from now on. */
  drop(token: string): void {
    this.generation++;
    this.keys.delete(token);
    this.loading.delete(token);
    this.unknown.set(token, true);
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

  /** A row as held here: its spend (and spend per model group) plus what this instance has not written yet. */
  private cached(row: KeyRow): CachedKey {
    const t = row.token;
    return new CachedKey(row, this.spend.unflushed(t), (g) => this.spend.unflushedModel(t, g));
  }

  /** Forget everything (a broadcast gap): the next use of each key reloads it. */
  clear(): void {
    this.generation++;
    this.keys.clear();
    this.unknown.clear();
    this.loading.clear();
  }

  private load(token: string): Promise<CachedKey | null> {
    const running = this.loading.get(token);
    if (running) return running;
    const gen = this.generation;
    const p = this.spend
      .readConsistent(() => this.repo.findByToken(token))
      .then(
        (row) => {
          const key = row ? this.cached(row) : null;
          const current = this.loading.get(token) === p;
          if (current) this.loading.delete(token);
          // A creation message while this ran (the load was let go of, the generation kept) spoils only a "not found".
          if (this.generation === gen) {
            if (key && (current || !this.keys.peek(token))) this.keys.set(token, key);
            else if (!key && current) this.unknown.set(token, true);
          }
          return key;
        },
        (err: unknown) => {
          if (this.loading.get(token) === p) this.loading.delete(token);
          throw err;
        },
      );
    this.loading.set(token, p);
    return p;
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
        this.loading.delete(token);
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
    if (event.k.length + event.p.length + event.u.length + event.e.length > 0) this.events.publish(event);
  }

  private adoptModels(token: string, totals: Readonly<Record<string, number>>): void {
    this.keys.peek(token)?.adoptModels(totals, (g) => this.spend.unflushedModel(token, g));
  }

  private async resync(): Promise<void> {
    const tokens = [...this.keys.keys()];
    for (let i = 0; i < tokens.length; i += RESYNC_CHUNK) {
      const chunk = tokens.slice(i, i + RESYNC_CHUNK);
      const gen = this.generation;
      let rows: KeyRow[];
      try {
        rows = await this.spend.readConsistent(() => this.repo.findByTokens(chunk));
      } catch (err) {
        this.log.warn(
          { err: (err as Error).message },
          'key cache resync skipped (database unavailable); cached keys keep serving',
        );
        return;
      }
      if (this.generation !== gen) continue; // something changed meanwhile; the next round covers this chunk
      const found = new Map(rows.map((r) => [r.token, r]));
      for (const token of chunk) {
        const row = found.get(token);
        if (row) {
          if (this.keys.peek(token)) this.keys.set(token, this.cached(row), { noUpdateTTL: true });
        } else this.drop(token);
      }
    }
  }
}
