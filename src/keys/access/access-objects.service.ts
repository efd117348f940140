import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { APP_LOGGER } from '../../logging/logger';
import { ChangeLog } from '../cache/change-log';
import { KeyEventsService } from '../invalidation/key-events.service';
import type { KeyEvent } from '../invalidation/key-events';
import { SpendWriter } from '../spend/spend-writer.service';
import { LimitedObject } from './limited-object';
import { KIND_SCOPE, OBJECT_KINDS, type ObjectKind } from './object-kind';
import { ObjectSpendSync } from './object-spend-sync';
import { ObjectsRepository, type ObjectChange, type ObjectRemoval, type ObjectRow } from './objects.repository';
import { SoftBudgetCrossings } from './soft-budget-crossings';
import { MemberMirror } from './member-mirror';
import { TeamMembersRepository } from './team-members.repository';

const RETRY_LOAD_MS = 2_000;

/**
 * Teams, users and end users as admission sees them: an in-memory mirror (every team and user, the end users that
 * have limits), so a model call never waits for the database for any of them. Read whole at start; changes made here
 * are applied at once; changes from other instances arrive as broadcast messages naming the objects, which are read
 * again. A change log read every `user_api_key_cache_ttl` (the keys' kind: cache/change-log.ts) heals a missed
 * message, at a cost that follows the changes, not the objects held. A budget period that ended is reset lazily:
 * the first call that sees it over asks the database, which resets it once whatever the number of instances asking.
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
  /**
   * Raised whenever a user appears, goes or changes role: what a virtual key's cached auth result (which carries its
   * user's role) is checked against, so one number read tells a warm key whether its role may have changed.
   */
  usersVersion = 0;
  private timer?: NodeJS.Timeout;
  /** What changed since the last look (exposed: tests read what its reads cost). */
  readonly changes: ChangeLog<ObjectChange, ObjectRemoval>;
  private readonly spendSync: ObjectSpendSync;
  /** The teams' member budgets. */
  readonly members: MemberMirror;
  /** Teams the change log named since its last read: their member budgets are read again after it. */
  private readonly loggedTeams = new Set<string>();

  constructor(
    private readonly repo: ObjectsRepository,
    private readonly spend: SpendWriter,
    private readonly events: KeyEventsService,
    crossings: SoftBudgetCrossings,
    @Inject(APP_LOGGER) private readonly log: Logger,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    members: TeamMembersRepository,
  ) {
    this.changes = new ChangeLog(repo, { apply: (r) => this.fromLog(r), remove: (g) => this.removedInLog(g) });
    this.members = new MemberMirror(this.maps.team, members, spend, log);
    this.spendSync = new ObjectSpendSync(this.maps, spend, crossings, log, this.members);
  }

  async onModuleInit(): Promise<void> {
    this.events.register({ onEvent: (e) => this.onEvent(e), onResync: () => void this.loadAll(false) });
    this.spend.onFlushed((r) => this.spendSync.afterFlush(r));
    await this.loadAll(true);
    this.timer = setInterval(() => void this.poll(), this.config.keyCache.resyncIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** The object, when it exists (end users: when it has limits). */
  get(kind: ObjectKind, id: string): LimitedObject | undefined {
    // Compared, not indexed: a keyed load by three names goes megamorphic on the call path.
    const m = this.maps;
    return (kind === 'team' ? m.team : kind === 'user' ? m.user : m.end_user).get(id);
  }

  /** A stored user's `user_role` (null: none; undefined: no such user, as far as this instance knows). */
  userRoleOf(userId: string): string | null | undefined {
    return this.maps.user.get(userId)?.userRole;
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
      // The change log picks the change up.
      this.log.warn({ err: (err as Error).message, kind }, 'could not read changed objects; the change log will');
      return;
    }
    const found = new Map(rows.map((r) => [r.id, r]));
    for (const id of ids) {
      const row = found.get(id);
      if (row) this.put(kind, row);
      else this.drop(kind, id);
    }
    if (kind === 'team') await this.members.reload(ids);
  }

  /** A call's cost, counted at once against every object it belongs to (written by the spend writer). */
  record(kind: ObjectKind, id: string, cost: number): void {
    const o = this.maps[kind].get(id);
    if (o) o.spend += cost;
  }

  /** `record`, given the object admission found for `id` (undefined: none): no lookup while that one is held. */
  recordOn(o: LimitedObject | undefined, kind: ObjectKind, id: string, cost: number): void {
    if (o !== undefined && !o.replaced) o.spend += cost;
    else this.record(kind, id, cost);
  }

  private onEvent(e: KeyEvent): void {
    if (e.t === 'objects') void this.reload(e.c, e.i);
    else if (e.t === 'spend') this.spendSync.onSpend(e);
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
    const o = this.limited(kind, row);
    if (kind === 'team') o.members = this.members.of(row.id);
    if (kind === 'end_user' && !o.enforced) this.drop(kind, row.id);
    else this.hold(kind, o);
  }

  /** Holds `o` in place of the copy held so far (every change to the maps goes through here or `drop`). */
  private hold(kind: ObjectKind, o: LimitedObject): void {
    const map = this.maps[kind];
    const before = map.get(o.id);
    if (before !== undefined) before.replaced = true;
    if (kind === 'user' && before?.userRole !== o.userRole) this.usersVersion++;
    map.set(o.id, o);
  }

  private drop(kind: ObjectKind, id: string): void {
    const map = this.maps[kind];
    const before = map.get(id);
    if (before === undefined) return;
    before.replaced = true;
    if (kind === 'user') this.usersVersion++;
    map.delete(id);
  }

  /** A row as held here: its spend plus what this instance has not written yet. */
  private limited(kind: ObjectKind, row: ObjectRow): LimitedObject {
    const o = new LimitedObject(kind, row.id, row, KIND_SCOPE[kind]);
    o.spend += this.spend.unflushedOf(kind, row.id);
    return o;
  }

  /** A changed row from the log: replaces an older copy (an end user without limits leaves the mirror). */
  private fromLog(row: ObjectChange): void {
    const held = this.maps[row.kind].get(row.id);
    if (!held || held.seq < row.changeSeq) this.put(row.kind, row);
    if (row.kind === 'team') this.loggedTeams.add(row.id);
  }

  /** An object removed, from the log: a copy older than the removal goes. */
  private removedInLog(gone: ObjectRemoval): void {
    const held = this.maps[gone.kind].get(gone.id);
    if (held && held.seq < gone.changeSeq) this.drop(gone.kind, gone.id);
  }

  /** The change log since the last read; before the first whole read has succeeded, that read again. */
  private async poll(): Promise<void> {
    if (!this.changes.started) return this.loadAll(false);
    try {
      await this.spend.readConsistent(() => this.changes.read());
      const teams = [...this.loggedTeams];
      this.loggedTeams.clear();
      await this.members.reload(teams);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'teams, users and end users change log not read; retried');
    }
  }

  /** Every object, read again whole (at start, and after a broadcast gap); the change log starts from before it. */
  private async loadAll(first: boolean): Promise<void> {
    try {
      const seq = await this.repo.lastChange();
      for (const kind of OBJECT_KINDS) {
        const rows = await this.spend.readConsistent(() => this.repo.loadAll(kind));
        const map = new Map<string, LimitedObject>();
        for (const r of rows) map.set(r.id, this.limited(kind, r));
        for (const o of this.maps[kind].values()) o.replaced = true;
        this.maps[kind].clear();
        for (const [id, o] of map) this.maps[kind].set(id, o);
        if (kind === 'user') this.usersVersion++;
      }
      await this.members.reload(null);
      if (!this.changes.started) this.changes.start(seq);
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
