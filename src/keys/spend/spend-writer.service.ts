import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { settledWithin } from '../../common/time/timeout';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { APP_LOGGER } from '../../logging/logger';
import type { ObjectKind } from '../access/object-kind';
import { memberKey } from '../access/team-members';
import { KeysRepository, type SpendResult } from '../keys.repository';

/** Database spend totals after a flush (see SpendResult). */
export type FlushResult = Omit<SpendResult, 'applied'>;

/** Amounts written together, under one id (the idempotency key of the write). */
interface Batch {
  readonly id: string;
  readonly keys: ReadonlyMap<string, number>;
  readonly teams: ReadonlyMap<string, number>;
  readonly users: ReadonlyMap<string, number>;
  readonly endUsers: ReadonlyMap<string, number>;
  /** Per key token, the part of its amount per model group (keys with a model_max_budget only). */
  readonly keyModels: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Per team membership (memberKey): every user's spend within each team it called through. */
  readonly members: ReadonlyMap<string, number>;
}

const NONE: ReadonlyMap<string, number> = new Map();

const SHUTDOWN_ATTEMPTS = 5;
/**
 * How long the shutdown flush may try in all: a database that stopped answering (a partition: no reset) makes each
 * write wait for its query timeout, and the process is forced out 5 s after the drain (server.ts). Within this
 * bound the amounts not confirmed written are logged for reconciliation, never dropped without a word.
 */
export const SHUTDOWN_FLUSH_MS = 3_000;
const RENAMES_KEPT = 10_000;
/** How often applied batch ids older than a day are removed (a write that finds it due does it, after itself). */
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Spend off the request path: amounts accumulate per key, team, user and end user in memory and are written every second
 * (`general_settings.proxy_batch_write_at`) as `spend = spend + x` (so instances never overwrite each other). A
 * failed write is retried as the same batch (same id) before anything newer: if its answer was lost after the
 * database committed it (a connection cut at the wrong moment), the retry is recognised and not counted twice.
 * Shutdown flushes before the database closes (onModuleDestroy runs before onApplicationShutdown).
 */
@Injectable()
export class SpendWriter implements OnModuleInit, OnModuleDestroy {
  private pendingKeys = new Map<string, number>();
  private pendingTeams = new Map<string, number>();
  private pendingUsers = new Map<string, number>();
  private pendingEndUsers = new Map<string, number>();
  private pendingKeyModels = new Map<string, Map<string, number>>();
  private pendingMembers = new Map<string, number>();
  /** A batch whose write failed: retried, unchanged, before the pending amounts. */
  private failed: Batch | null = null;
  /** The batch being written now (its outcome not known yet). */
  private writing: Batch | null = null;
  private flushing: Promise<void> | null = null;
  private timer?: NodeJS.Timeout;
  /** Regenerated keys, old token -> new token: amounts still addressed to the old token follow the key. */
  private readonly renamed = new Map<string, string>();
  private readonly listeners: ((r: FlushResult) => void)[] = [];
  private failures = 0;
  /** Writes started so far: tells whether one ran during a read (see readConsistent). */
  private writesStarted = 0;
  /** When old batch ids were last removed (0: not yet in this process). */
  private prunedAt = 0;

  private readonly everyMs: number;

  constructor(
    private readonly repo: KeysRepository,
    @Inject(APP_LOGGER) private readonly log: Logger,
    @Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'spend'>,
  ) {
    this.everyMs = config.spend.writeIntervalMs;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.everyMs);
    this.timer.unref();
  }

  onFlushed(fn: (r: FlushResult) => void): void {
    this.listeners.push(fn);
  }

  /** Records a call's cost for its key, team, user and end user (each when there is one). */
  add(
    token: string | null,
    teamId: string | null,
    cost: number,
    userId: string | null = null,
    endUserId: string | null = null,
  ): void {
    if (!(cost > 0) || !Number.isFinite(cost)) return;
    if (token) this.pendingKeys.set(token, (this.pendingKeys.get(token) ?? 0) + cost);
    if (teamId) this.pendingTeams.set(teamId, (this.pendingTeams.get(teamId) ?? 0) + cost);
    if (userId) this.pendingUsers.set(userId, (this.pendingUsers.get(userId) ?? 0) + cost);
    if (endUserId) this.pendingEndUsers.set(endUserId, (this.pendingEndUsers.get(endUserId) ?? 0) + cost);
  }

  /** The share of a key's cost (recorded with `add`) that went to one model group: for its model_max_budget. */
  addModel(token: string, modelGroup: string, cost: number): void {
    if (!(cost > 0) || !Number.isFinite(cost)) return;
    let m = this.pendingKeyModels.get(token);
    if (!m) this.pendingKeyModels.set(token, (m = new Map<string, number>()));
    m.set(modelGroup, (m.get(modelGroup) ?? 0) + cost);
  }

  /** The share of a call's cost (recorded with `add`) spent by a user within a team (its team membership). */
  addMember(teamId: string, userId: string, cost: number): void {
    this.addMemberKey(memberKey(teamId, userId), cost);
  }

  /** As `addMember`, by the membership's memberKey (a cached key holds its own). */
  addMemberKey(k: string, cost: number): void {
    if (!(cost > 0) || !Number.isFinite(cost)) return;
    this.pendingMembers.set(k, (this.pendingMembers.get(k) ?? 0) + cost);
  }

  /** A member's spend in a team recorded here and not yet confirmed written. */
  unflushedMember(teamId: string, userId: string): number {
    const k = memberKey(teamId, userId);
    return (this.pendingMembers.get(k) ?? 0) + (this.writing?.members.get(k) ?? 0) + (this.failed?.members.get(k) ?? 0);
  }

  /** A key's spend on one model group recorded here and not yet confirmed written. */
  unflushedModel(token: string, modelGroup: string): number {
    const of = (m: ReadonlyMap<string, ReadonlyMap<string, number>> | undefined) => m?.get(token)?.get(modelGroup) ?? 0;
    return of(this.pendingKeyModels) + of(this.writing?.keyModels) + of(this.failed?.keyModels);
  }

  /** Spend recorded for a key in this process and not yet confirmed written (pending + being written). */
  unflushed(token: string): number {
    return (
      (this.pendingKeys.get(token) ?? 0) + (this.writing?.keys.get(token) ?? 0) + (this.failed?.keys.get(token) ?? 0)
    );
  }

  /**
   * Runs `read`, a database read of spend that the caller adds `unflushed()` to afterwards, when no write overlaps
   * it: a write that committed while the read ran would be counted twice (in the row and still as being written) or
   * not at all (read before its commit, no longer unflushed after). Waits for a running write, and reads again if
   * one started meanwhile (a few times at most; writes are an interval apart).
   */
  async readConsistent<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (this.flushing) await this.flushing;
      const started = this.writesStarted;
      const value = await read();
      if ((this.writesStarted === started && this.flushing === null) || attempt >= 5) return value;
    }
  }

  /** The same for a team, user or end user. */
  unflushedOf(kind: ObjectKind, id: string): number {
    const field = kind === 'team' ? 'teams' : kind === 'user' ? 'users' : 'endUsers';
    const pending = kind === 'team' ? this.pendingTeams : kind === 'user' ? this.pendingUsers : this.pendingEndUsers;
    return (pending.get(id) ?? 0) + (this.writing?.[field].get(id) ?? 0) + (this.failed?.[field].get(id) ?? 0);
  }

  /**
   * A key is about to get a new token (regenerate): from now on, amounts a write finds no row for under the old
   * token are re-addressed to the new one. Call before the database change, so a write racing with it loses nothing.
   */
  expectRename(oldToken: string, newToken: string): void {
    this.renamed.set(oldToken, newToken);
    if (this.renamed.size > RENAMES_KEPT) this.renamed.delete(this.renamed.keys().next().value!);
  }

  /** The regenerate did not happen. */
  cancelRename(oldToken: string, newToken: string): void {
    if (this.renamed.get(oldToken) === newToken) this.renamed.delete(oldToken);
  }

  /** The regenerate is committed: unwritten spend of the old token follows the key. */
  completeRename(oldToken: string, newToken: string): void {
    const amount = this.pendingKeys.get(oldToken);
    if (amount !== undefined) {
      this.pendingKeys.delete(oldToken);
      this.pendingKeys.set(newToken, (this.pendingKeys.get(newToken) ?? 0) + amount);
    }
    const models = this.pendingKeyModels.get(oldToken);
    if (models) {
      this.pendingKeyModels.delete(oldToken);
      for (const [g, a] of models) this.addModel(newToken, g, a);
    }
  }

  get hasPending(): boolean {
    return this.hasNew || this.failed !== null;
  }

  /**
   * Writes what is pending now. A call during a write waits for it, then writes what is left (at most one write
   * at a time). Never throws: a failed write keeps its amounts for the next attempt.
   */
  flush(): Promise<void> {
    if (this.flushing)
      return this.flushing.then(() => this.flushing ?? (this.hasPending ? this.startWrite() : undefined));
    return this.hasPending ? this.startWrite() : Promise.resolve();
  }

  private startWrite(): Promise<void> {
    const p = this.write().finally(() => {
      if (this.flushing === p) this.flushing = null;
    });
    this.flushing = p;
    return p;
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + SHUTDOWN_FLUSH_MS;
    for (let attempt = 1; attempt <= SHUTDOWN_ATTEMPTS; attempt++) {
      if (!(await settledWithin(this.flush(), deadline - Date.now()))) break;
      if (!this.hasPending) return;
      if (attempt < SHUTDOWN_ATTEMPTS)
        await settledWithin(new Promise((r) => setTimeout(r, 200 * attempt)), deadline - Date.now());
    }
    // A write still waiting for its answer may yet commit: its batch id tells (spend_batches) whether it did.
    const unconfirmed = this.failed ?? this.writing;
    this.log.error(
      {
        keys: Object.fromEntries(this.pendingKeys),
        teams: Object.fromEntries(this.pendingTeams),
        users: Object.fromEntries(this.pendingUsers),
        endUsers: Object.fromEntries(this.pendingEndUsers),
        members: Object.fromEntries(this.pendingMembers),
        unconfirmedBatch: unconfirmed ? batchForLog(unconfirmed) : undefined,
      },
      'spend could not be written before shutdown; amounts logged here for reconciliation',
    );
  }

  /** Listeners run after a successful write; their failure must never re-queue amounts already written. */
  private notify(result: FlushResult): void {
    for (const fn of this.listeners) {
      try {
        fn(result);
      } catch (err) {
        this.log.error({ err }, 'spend flush listener failed');
      }
    }
  }

  private async write(): Promise<void> {
    this.writesStarted++;
    const retry = this.failed;
    const batch = retry ?? this.takePending();
    this.failed = null;
    this.writing = batch;
    try {
      const result = await this.repo.addSpend(
        batch.id,
        batch.keys,
        batch.teams,
        batch.users,
        batch.endUsers,
        batch.keyModels,
        batch.members,
      );
      if (this.failures > 0)
        this.log.info(
          { failures: this.failures, alreadyApplied: !result.applied || undefined },
          'spend writes recovered',
        );
      this.failures = 0;
      this.writing = null;
      // Amounts the write found no row for: a key regenerated meanwhile gets them under its new token.
      for (const token of result.missingKeys ?? []) {
        const next = this.renamed.get(token);
        const amount = batch.keys.get(token);
        if (!next || amount === undefined) continue;
        this.add(next, null, amount);
        for (const [g, m] of batch.keyModels.get(token) ?? []) this.addModel(next, g, m);
      }
      this.notify({ ...result, users: result.users ?? NONE, endUsers: result.endUsers ?? NONE });
      await this.pruneIfDue();
    } catch (err) {
      this.failed = batch;
      this.writing = null;
      if (this.failures++ % 30 === 0)
        this.log.warn(
          { err: (err as Error).message, failures: this.failures },
          'spend write failed; amounts kept for the next attempt',
        );
      return;
    }
    // The retried batch is confirmed: what accumulated meanwhile goes now, not a tick later.
    if (retry && this.hasNew) await this.write();
  }

  private get hasNew(): boolean {
    return (
      this.pendingKeys.size > 0 ||
      this.pendingTeams.size > 0 ||
      this.pendingUsers.size > 0 ||
      this.pendingEndUsers.size > 0 ||
      this.pendingMembers.size > 0
    );
  }

  /** Old batch ids are only a retry's memory: removing them may fail or wait; spend never depends on it. */
  private async pruneIfDue(): Promise<void> {
    const now = Date.now();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    try {
      const removed = await this.repo.pruneSpendBatches();
      if (removed > 0) this.log.debug({ removed }, 'old spend batch ids removed');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'removing old spend batch ids failed; retried in 10 minutes');
    }
  }

  private takePending(): Batch {
    const batch = {
      id: randomBytes(12).toString('hex'),
      keys: this.pendingKeys,
      teams: this.pendingTeams,
      users: this.pendingUsers,
      endUsers: this.pendingEndUsers,
      keyModels: this.pendingKeyModels,
      members: this.pendingMembers,
    };
    this.pendingKeyModels = new Map();
    this.pendingMembers = new Map();
    this.pendingKeys = new Map();
    this.pendingTeams = new Map();
    this.pendingUsers = new Map();
    this.pendingEndUsers = new Map();
    return batch;
  }
}

function batchForLog(b: Batch): object {
  return {
    id: b.id,
    keys: Object.fromEntries(b.keys),
    teams: Object.fromEntries(b.teams),
    users: Object.fromEntries(b.users),
    endUsers: Object.fromEntries(b.endUsers),
    keyModels: Object.fromEntries([...b.keyModels].map(([t, m]) => [t, Object.fromEntries(m)])),
    members: Object.fromEntries(b.members),
  };
}
