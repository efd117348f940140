import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { Prisma, type VirtualKey } from '../generated/prisma/client';
import type { Actor } from './actor';
import { rethrowDatabaseError } from './db-errors';
import { spendStatement, type SpendKind, type SpendRowAnswer } from './budget/spend-statement';

const CROSSING_KIND: Readonly<Record<SpendKind, SoftBudgetCrossing['kind']>> = {
  k: 'key',
  t: 'team',
  u: 'user',
  e: 'end_user',
};

export type KeyRow = VirtualKey;
/**
 * Columns a management change may set (plain values, valid for both create and update), typed from the row; the
 * spend columns are the spend writer's.
 * `blockedBy`: the role of whoever blocked the key (null: not blocked); see key-scope.ts. `extra`: LiteLLM fields to
 * set in the row's `extra` (a null value removes one); the others stored there are kept.
 */
export type KeyChanges = Partial<
  Omit<
    KeyRow,
    | 'spend'
    | 'modelSpend'
    | 'metadata'
    | 'extra'
    | 'createdBy'
    | 'updatedBy'
    | 'softBudgetAlertedAt'
    | 'createdAt'
    | 'updatedAt'
  >
> & {
  metadata?: Prisma.InputJsonValue;
  extra?: Record<string, unknown>;
};

export type NewKey = KeyChanges & { token: string; keyName: string; createdBy: string };

export interface AuditEntry {
  action: string;
  keyHash: string | null;
  details?: Record<string, unknown>;
}

export interface SpendResult {
  /** False when this batch had been applied before (nothing was added now). */
  applied: boolean;
  /** Totals after the write, in the current budget period, per key token, team, user and end user id. */
  keys: ReadonlyMap<string, number>;
  teams: ReadonlyMap<string, number>;
  users?: ReadonlyMap<string, number>;
  endUsers?: ReadonlyMap<string, number>;
  /** When the budget period of each total ends, by `k:`/`t:`/`u:`/`e:` and the id (absent: no period). */
  periods?: ReadonlyMap<string, number>;
  /** Rows this write took across their soft_budget (the first time in their period). */
  crossings?: readonly SoftBudgetCrossing[];
  /** Per key token written with per-model amounts: its whole spend per model group after the write. */
  keyModels?: ReadonlyMap<string, Readonly<Record<string, number>>>;
}

export interface SoftBudgetCrossing {
  readonly kind: 'key' | 'team' | 'user' | 'end_user';
  readonly id: string;
  readonly spend: number;
  readonly softBudget: number;
}

/** The rows a caller may manage (key-scope.ts): empty for every row. */
export type KeyScopeWhere = Prisma.VirtualKeyWhereInput;

export interface KeyFilter {
  teamId?: string;
  userId?: string;
  keyAlias?: string;
}

/** Data access for virtual keys, spend and the audit log: the only code that touches these tables. */
@Injectable()
export class KeysRepository {
  constructor(private readonly db: DatabaseService) {}

  private get prisma() {
    return this.db.prisma;
  }

  findByToken(token: string): Promise<KeyRow | null> {
    return guard(this.prisma.virtualKey.findUnique({ where: { token } }));
  }

  findByTokens(tokens: readonly string[], scope: KeyScopeWhere = {}): Promise<KeyRow[]> {
    return guard(this.prisma.virtualKey.findMany({ where: { token: { in: [...tokens] }, ...scope } }));
  }

  findByAliases(aliases: readonly string[], scope: KeyScopeWhere = {}): Promise<KeyRow[]> {
    return guard(this.prisma.virtualKey.findMany({ where: { keyAlias: { in: [...aliases] }, ...scope } }));
  }

  /** Inserts a key and its audit row in one transaction. A taken token or alias raises P2002 (see db-errors). */
  create(data: NewKey, actor: Actor, audit: AuditEntry): Promise<KeyRow> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const row = await tx.virtualKey.create({ data: { ...data, extra: mergeExtra({}, data.extra) } });
        await tx.auditLog.create({ data: auditData(actor, audit) });
        return row;
      }),
    );
  }

  /**
   * Updates a key (the token itself too, for regenerate) and writes the audit row. Null when the key is unknown (or
   * out of `scope`). `creator`: rows created by `from` are now created by `to` (a regenerated key's new id).
   */
  update(
    token: string,
    changes: KeyChanges,
    actor: Actor,
    audit: AuditEntry,
    scope: KeyScopeWhere = {},
    creator?: { from: string; to: string },
  ): Promise<KeyRow | null> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const { extra: patch, ...columns } = changes;
        let extra: Prisma.InputJsonValue | undefined;
        if (patch) {
          const current = await tx.virtualKey.findFirst({ where: { token, ...scope }, select: { extra: true } });
          if (!current) return null;
          extra = mergeExtra(current.extra, patch);
        }
        const found = await tx.virtualKey.updateMany({
          where: { token, ...scope },
          data: { ...columns, ...(extra !== undefined && { extra }), updatedBy: actor.id },
        });
        if (found.count === 0) return null;
        // A regenerated key keeps the keys it created (`created_by` names it by its hash).
        if (creator)
          await tx.virtualKey.updateMany({ where: { createdBy: creator.from }, data: { createdBy: creator.to } });
        const newToken = typeof changes.token === 'string' ? changes.token : token;
        const row = await tx.virtualKey.findUniqueOrThrow({ where: { token: newToken } });
        await tx.auditLog.create({ data: auditData(actor, { ...audit, keyHash: audit.keyHash ?? newToken }) });
        return row;
      }),
    );
  }

  /** Deletes exactly these keys (all or nothing) with one audit row each; returns the rows deleted. */
  deleteKeys(tokens: readonly string[], actor: Actor, scope: KeyScopeWhere = {}): Promise<number> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const res = await tx.virtualKey.deleteMany({ where: { token: { in: [...tokens] }, ...scope } });
        await tx.auditLog.createMany({
          data: tokens.map((t) => auditData(actor, { action: 'key.delete', keyHash: t })),
        });
        return res.count;
      }),
    );
  }

  /** How many keys have a budget (for the start-up check of unpriced deployments). */
  countWithBudget(): Promise<number> {
    return this.prisma.virtualKey.count({ where: { maxBudget: { not: null } } });
  }

  async list(
    filter: KeyFilter,
    page: number,
    size: number,
    scope: KeyScopeWhere = {},
  ): Promise<{ rows: KeyRow[]; total: number }> {
    const where: Prisma.VirtualKeyWhereInput = {
      AND: [{ teamId: filter.teamId, userId: filter.userId, keyAlias: filter.keyAlias }, scope],
    };
    const [rows, total] = await guard(
      this.prisma.$transaction([
        this.prisma.virtualKey.findMany({
          where,
          orderBy: [{ createdAt: 'asc' }, { token: 'asc' }],
          skip: (page - 1) * size,
          take: size,
        }),
        this.prisma.virtualKey.count({ where }),
      ]),
    );
    return { rows, total };
  }

  /**
   * Adds spend amounts (`spend = spend + x`, so concurrent instances never overwrite each other) within each row's
   * budget period (budget/spend-statement.ts), and answers the new totals (of keys: those with a budget, and the
   * `watched` tokens). `batchId` makes it idempotent: a batch already applied (a retry after a lost answer) changes
   * nothing and answers `applied: false`. One statement, so one round trip. It runs once a second under load, so it
   * is kept to what that needs.
   */
  async addSpend(
    batchId: string,
    keys: ReadonlyMap<string, number>,
    teams: ReadonlyMap<string, number>,
    users: ReadonlyMap<string, number> = new Map(),
    endUsers: ReadonlyMap<string, number> = new Map(),
    keyModels: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map(),
    watched: readonly string[] = [],
  ): Promise<SpendResult> {
    const rows = await guard(
      this.prisma.$queryRaw<SpendRowAnswer[]>(
        spendStatement(batchId, keys, teams, users, endUsers, keyModels, watched),
      ),
    );
    if (!rows.some((r) => r.kind === 'b')) return { applied: false, keys: new Map(), teams: new Map() };
    const totals = {
      k: new Map<string, number>(),
      t: new Map<string, number>(),
      u: new Map<string, number>(),
      e: new Map<string, number>(),
    };
    const periods = new Map<string, number>();
    const crossings: SoftBudgetCrossing[] = [];
    const models = new Map<string, Readonly<Record<string, number>>>();
    for (const r of rows) {
      if (r.kind === 'b') continue;
      if (r.kind === 'k' && keyModels.has(r.id) && r.models) models.set(r.id, r.models);
      const spend = Number(r.spend);
      totals[r.kind].set(r.id, spend);
      if (r.reset_at !== null) periods.set(`${r.kind}:${r.id}`, new Date(r.reset_at).getTime());
      if (r.crossed) crossings.push({ kind: CROSSING_KIND[r.kind], id: r.id, spend, softBudget: Number(r.soft) });
    }
    return {
      applied: true,
      keys: totals.k,
      teams: totals.t,
      users: totals.u,
      endUsers: totals.e,
      periods,
      crossings,
      keyModels: models,
    };
  }

  /**
   * Ends the key's budget period if it is over (spend to 0, the next end one duration after the previous, by the
   * database), guarded by the period end so that several instances asking reset it once. Answers the row as it is.
   */
  async resetDuePeriod(token: string): Promise<KeyRow | null> {
    await guard(
      this.prisma.$executeRaw`UPDATE virtual_keys SET spend = 0, soft_budget_alerted_at = NULL,
        budget_reset_at = llmgw_next_reset(budget_reset_at, budget_duration, now())
        WHERE token = ${token} AND budget_reset_at <= now() AND budget_duration IS NOT NULL`,
    );
    return this.findByToken(token);
  }

  /** Forgets spend batch ids older than a day (a retry comes within seconds); answers how many were removed. */
  pruneSpendBatches(): Promise<number> {
    return guard(this.prisma.$executeRaw`DELETE FROM spend_batches WHERE applied_at < now() - interval '1 day'`);
  }
}

function auditData(actor: Actor, e: AuditEntry): Prisma.AuditLogCreateManyInput {
  const details = { ...(e.details ?? {}), ...(actor.clientId ? { client_id: actor.clientId } : {}) };
  return {
    actor: actor.id,
    actorRole: actor.role,
    action: e.action,
    keyHash: e.keyHash,
    details: details,
  };
}

function guard<T>(p: Promise<T>): Promise<T> {
  return p.catch(rethrowDatabaseError);
}

/** `extra` with `patch` applied: a null value removes the field. */
function mergeExtra(current: unknown, patch: Record<string, unknown> | undefined): Prisma.InputJsonValue {
  const out: Record<string, unknown> = { ...(current && typeof current === 'object' ? current : {}) };
  for (const [k, v] of Object.entries(patch ?? {})) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out as Prisma.InputJsonValue;
}
