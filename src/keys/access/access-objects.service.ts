import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { APP_LOGGER } from '../../logging/logger';
import { KeyEventsService } from '../invalidation/key-events.service';
import type { KeyEvent, SpendTotal } from '../invalidation/key-events';
import { SpendWriter, type FlushResult } from '../spend/spend-writer.service';
import { LimitedObject } from './limited-object';
import { KIND_SCOPE, OBJECT_KINDS, type ObjectKind } from './object-kind';
import { ObjectsRepository, type ObjectRow } from './objects.repository';
import { SoftBudgetCrossings } from './soft-budget-crossings';

const RETRY_LOAD_MS = 2_000;

/**
 * Teams, users and end users as admission sees them: an in-memory mirror (every team and user, the end users that
 * have limits), so a model call never waits for the database for any of them. Changes made here are applied at
 * once; changes from other instances arrive as broadcast messages naming the objects, which are read again. A
 * periodic full read heals a missed message. A budget period that ended is reset lazily: the first call that sees it
 * over asks the database, which resets it once whatever the number of instances asking.
 */
@Injectable()
export class AccessObjects implements OnModuleInit, OnModuleDestroy {
  private readonly maps: Record<ObjectKind, Map<string, LimitedObject>> = {
    team: new Map(),
    user: new Map(),
    end_user: new Map(),
  };
  private readonly resetting = new Set<string>();
  private loaded = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repo: ObjectsRepository,
    private readonly spend: SpendWriter,
    private readonly events: KeyEventsService,
    private readonly crossings: SoftBudgetCrossings,
    @Inject(APP_LOGGER) private readonly log: Logger,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.events.register({ onEvent: (e) => this.onEvent(e), onResync: () => void this.loadAll(false) });
    this.spend.onFlushed((r) => this.afterFlush(r));
    await this.loadAll(true);
    this.timer = setInterval(() => void this.loadAll(false), this.config.keyCache.resyncIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The object, when it exists (end users: when it has limits). */
  get(kind: ObjectKind, id: string): LimitedObject | undefined {
    return this.maps[kind].get(id);
  }

  /** Whether a team of this id is stored (as far as this instance knows). */
  hasTeam(id: string): boolean {
    return this.maps.team.has(id);
  }

  /** Whether the mirror has been read once (before that, an absent object says nothing). */
  get ready(): boolean {
    return this.loaded;
  }

  /** Every held object of a kind (metrics). */
  all(kind: ObjectKind): IterableIterator<LimitedObject> {
    return this.maps[kind].values();
  }

  /** Reads these objects again (a change here or on another instance); absent rows leave the mirror. */
  async reload(kind: ObjectKind, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    let rows: ObjectRow[];
    try {
      rows = await this.repo.load(kind, ids);
    } catch (err) {
      // The periodic full read picks the change up.
      this.log.warn({ err: (err as Error).message, kind }, 'could not read changed objects; retried by the resync');
      return;
    }
    const found = new Map(rows.map((r) => [r.id, r]));
    for (const id of ids) {
      const row = found.get(id);
      if (row) this.put(kind, row);
      else this.maps[kind].delete(id);
    }
  }

  /** A call's cost, counted at once against every object it belongs to (written by the spend writer). */
  record(kind: ObjectKind, id: string, cost: number): void {
    const o = this.maps[kind].get(id);
    if (o) o.spend += cost;
  }

  /** Database totals after a spend write (ours or another instance's), with the end of their period if any. */
  private adopt(kind: ObjectKind, totals: Iterable<SpendTotal>): void {
    const map = this.maps[kind];
    for (const [id, total, resetAt] of totals) {
      const o = map.get(id);
      if (o) o.adopt(total, resetAt ?? Infinity, this.spend.unflushedOf(kind, id));
    }
  }

  private onEvent(e: KeyEvent): void {
    if (e.t === 'objects') void this.reload(e.c, e.i);
    else if (e.t === 'spend') {
      this.adopt('team', e.p);
      this.adopt('user', e.u ?? []);
      this.adopt('end_user', e.e ?? []);
    }
  }

  /**
   * Our own spend write: adopt its totals, and log the soft budgets it crossed. The database marks a crossing
   * once per period (only the write that crossed it reports it), so this is one warning per object and period,
   * however many instances write.
   */
  private afterFlush(r: FlushResult): void {
    const withPeriod = (prefix: string, m: ReadonlyMap<string, number> | undefined): SpendTotal[] =>
      [...(m ?? [])].map(([id, total]) => {
        const end = r.periods?.get(prefix + id);
        return end === undefined ? [id, total] : [id, total, end];
      });
    this.adopt('team', withPeriod('t:', r.teams));
    this.adopt('user', withPeriod('u:', r.users));
    this.adopt('end_user', withPeriod('e:', r.endUsers));
    for (const c of r.crossings ?? []) {
      this.crossings.crossed(c.kind, c.id);
      this.log.warn(
        { [c.kind === 'key' ? 'key_token' : `${c.kind}_id`]: c.id, spend: c.spend, soft_budget: c.softBudget },
        `soft_budget crossed by ${c.kind === 'end_user' ? 'end user' : c.kind} ${c.id}: spend ${c.spend} of soft_budget ${c.softBudget} (calls are not refused)`,
      );
    }
  }

  /** The period of this object is over (seen by admission): reset it in the database, once, in the background. */
  periodOver(kind: ObjectKind, id: string): void {
    const tag = `${kind}:${id}`;
    if (this.resetting.has(tag)) return;
    this.resetting.add(tag);
    this.repo
      .resetDue(kind, [id])
      .then((rows) => {
        for (const r of rows) if (this.maps[kind].has(r.id) || kind !== 'end_user') this.put(kind, r);
      })
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message, kind }, 'budget period reset failed'))
      .finally(() => this.resetting.delete(tag));
  }

  private put(kind: ObjectKind, row: ObjectRow): void {
    const o = new LimitedObject(kind, row.id, row, KIND_SCOPE[kind]);
    o.spend += this.spend.unflushedOf(kind, row.id);
    if (kind === 'end_user' && !o.enforced) this.maps[kind].delete(row.id);
    else this.maps[kind].set(row.id, o);
  }

  private async loadAll(first: boolean): Promise<void> {
    try {
      for (const kind of OBJECT_KINDS) {
        const rows = await this.repo.loadAll(kind);
        const map = new Map<string, LimitedObject>();
        for (const r of rows) {
          const o = new LimitedObject(kind, r.id, r, KIND_SCOPE[kind]);
          o.spend += this.spend.unflushedOf(kind, r.id);
          map.set(r.id, o);
        }
        this.maps[kind].clear();
        for (const [id, o] of map) this.maps[kind].set(id, o);
      }
      if (!this.loaded) this.log.debug('teams, users and end users loaded');
      this.loaded = true;
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message },
        'teams, users and end users could not be read; their limits apply once the database answers',
      );
      if (first) setTimeout(() => void this.loadAll(!this.loaded), RETRY_LOAD_MS).unref();
    }
  }
}
