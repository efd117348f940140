import { Injectable } from '@nestjs/common';
import { pgEnd } from '../common/time/pg-time';
import { DatabaseService } from '../database/database.service';
import { Prisma } from '../generated/prisma/client';
import type { Actor } from './actor';
import { rethrowDatabaseError } from './db-errors';
import { spendResultOf, type SpendResult } from './budget/spend-result';
import { spendStatement, type SpendRowAnswer } from './budget/spend-statement';
import type { KeyChanges, KeyFilter, KeyRow, KeyScopeWhere, NewKey } from './key-row';
import { KEY_BUDGET_SELECT, takeBudget, touchesBudget, withBudgetLimits } from './budgets/key-budget';

// The repository's types, where its callers have always found them.
export type { KeyChanges, KeyFilter, KeyRow, KeyScopeWhere, NewKey } from './key-row';
export type { SoftBudgetCrossing, SpendResult } from './budget/spend-result';

export interface AuditEntry {
  action: string;
  token: string | null;
  details?: Record<string, unknown>;
}

/** Data access for virtual keys, spend and the audit log: the only code that touches these tables. */
@Injectable()
export class KeysRepository {
  constructor(private readonly db: DatabaseService) {}

  private get prisma() {
    return this.db.prisma;
  }

  async findByToken(token: string): Promise<KeyRow | null> {
    const row = await guard(this.prisma.virtualKey.findUnique({ where: { token } }));
    return row && (await this.withEnds([row]))[0];
  }

  findByTokens(tokens: readonly string[], scope: KeyScopeWhere = {}): Promise<KeyRow[]> {
    return guard(this.prisma.virtualKey.findMany({ where: { token: { in: [...tokens] }, ...scope } })).then((rows) =>
      this.withEnds(rows),
    );
  }

  findByAliases(aliases: readonly string[], scope: KeyScopeWhere = {}): Promise<KeyRow[]> {
    return guard(this.prisma.virtualKey.findMany({ where: { keyAlias: { in: [...aliases] }, ...scope } })).then(
      (rows) => this.withEnds(rows),
    );
  }

  /** Inserts a key and its audit row in one transaction. A taken token or alias raises P2002 (see db-errors). */
  create(data: NewKey, actor: Actor, audit: AuditEntry): Promise<KeyRow> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const budgeted = withBudgetLimits(null, data) as NewKey;
        const row = await tx.virtualKey.create({ data: { ...budgeted, extra: mergeExtra({}, budgeted.extra) } });
        await tx.auditLog.create({ data: auditData(actor, audit) });
        if (row.budgetId === null) return row;
        await takeBudget(tx, row.token, row.budgetId);
        return tx.virtualKey.findUniqueOrThrow({ where: { token: row.token } });
      }),
    );
  }

  /**
   * Updates a key (the token itself too, for regenerate) and writes the audit row. Null when the key is unknown (or
   * out of `scope`). `creator`: rows created by `from` are now created by `to` (a regenerated key's new id).
   */
  async update(
    token: string,
    changes: KeyChanges,
    actor: Actor,
    audit: AuditEntry,
    scope: KeyScopeWhere = {},
    creator?: { from: string; to: string },
  ): Promise<KeyRow | null> {
    const row = await guard(
      this.prisma.$transaction(async (tx) => {
        const budget = touchesBudget(changes);
        let { extra: patch, ...columns } = changes;
        let extra: Prisma.InputJsonValue | undefined;
        let budgetId: string | null = null;
        if (patch || budget) {
          // Locked when its budget is worked out: which limits are the key's own depends on the row as it stands.
          if (budget) await tx.$executeRaw`SELECT 1 FROM virtual_keys WHERE token = ${token} FOR UPDATE`;
          const current = await tx.virtualKey.findFirst({
            where: { token, ...scope },
            select: KEY_BUDGET_SELECT,
          });
          if (!current) return null;
          if (budget) {
            ({ extra: patch, ...columns } = withBudgetLimits(current, changes));
            budgetId = columns.budgetId !== undefined ? columns.budgetId : current.budgetId;
          }
          if (patch) extra = mergeExtra(current.extra, patch);
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
        await takeBudget(tx, newToken, budgetId);
        const row = await tx.virtualKey.findUniqueOrThrow({ where: { token: newToken } });
        await tx.auditLog.create({ data: auditData(actor, { ...audit, token: audit.token ?? newToken }) });
        return row;
      }),
    );
    return row && (await this.withEnds([row]))[0];
  }

  /** Deletes exactly these keys (all or nothing) with one audit row each; returns the rows deleted. */
  deleteKeys(tokens: readonly string[], actor: Actor, scope: KeyScopeWhere = {}): Promise<number> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const res = await tx.virtualKey.deleteMany({ where: { token: { in: [...tokens] }, ...scope } });
        await tx.auditLog.createMany({
          data: tokens.map((t) => auditData(actor, { action: 'key.delete', token: t })),
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
    const extra = Object.entries(filter.extra ?? {}).map(([name, value]): Prisma.VirtualKeyWhereInput => ({
      extra: { path: [name], equals: value },
    }));
    if (filter.accessGroupId !== undefined)
      extra.push({ extra: { path: ['access_group_ids'], array_contains: [filter.accessGroupId] } });
    const where: Prisma.VirtualKeyWhereInput = {
      AND: [
        { teamId: filter.teamId, userId: filter.userId, keyAlias: filter.keyAlias, token: filter.token },
        ...extra,
        scope,
      ],
    };
    const order: Prisma.VirtualKeyOrderByWithRelationInput[] = filter.sortBy
      ? [{ [filter.sortBy]: filter.sortOrder ?? 'desc' }, { token: 'asc' }]
      : [{ createdAt: 'asc' }, { token: 'asc' }];
    const [rows, total] = await guard(
      this.prisma.$transaction([
        this.prisma.virtualKey.findMany({
          where,
          orderBy: order,
          skip: (page - 1) * size,
          take: size,
        }),
        this.prisma.virtualKey.count({ where }),
      ]),
    );
    return { rows: await this.withEnds(rows), total };
  }

  /**
   * Adds spend amounts (`spend = spend + x`, so concurrent instances never overwrite each other) within each row's
   * budget period (budget/spend-statement.ts), and answers the new totals (of keys: those with a budget) and the key
   * tokens it found no row for. `batchId` makes it idempotent: a batch already applied (a retry after a lost answer)
   * changes nothing and answers `applied: false`. One statement, so one round trip. It runs once a second under
   * load, so it is kept to what that needs.
   */
  async addSpend(
    batchId: string,
    keys: ReadonlyMap<string, number>,
    teams: ReadonlyMap<string, number>,
    users: ReadonlyMap<string, number> = new Map(),
    endUsers: ReadonlyMap<string, number> = new Map(),
    keyModels: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map(),
    members: ReadonlyMap<string, number> = new Map(),
  ): Promise<SpendResult> {
    // Over the pool, not Prisma: Prisma keeps its last debug messages, each with the query's arguments as JSON,
    // which for this statement (every key used in the last second) grows with the number of keys.
    const stmt = spendStatement(batchId, keys, teams, users, endUsers, keyModels, members);
    const rows = await guard(this.db.query<SpendRowAnswer>(stmt.text, stmt.values));
    return spendResultOf(rows, keyModels);
  }

  /**
   * Ends the key's budget period if it is over (spend to 0, the next end one duration after the previous, by the
   * database), guarded by the period end so that several instances asking reset it once. Answers the row as it is.
   */
  async resetDuePeriod(token: string): Promise<KeyRow | null> {
    return (await this.resetDuePeriods([token]))[0] ?? null;
  }

  /** resetDuePeriod for several keys at once; answers those that exist. */
  async resetDuePeriods(tokens: readonly string[]): Promise<KeyRow[]> {
    await guard(
      this.prisma.$executeRaw`UPDATE virtual_keys SET spend = 0, soft_budget_alerted_at = NULL,
        budget_reset_at = llmgw_next_reset(budget_reset_at, budget_duration, now())
        WHERE token = ANY(${[...tokens]}::text[]) AND budget_reset_at <= now() AND budget_duration IS NOT NULL`,
    );
    return this.findByTokens(tokens);
  }

  /**
   * Prisma reads PostgreSQL's `infinity` and `-infinity` as an Invalid Date, whatever the sign: the ends in time of
   * such rows (rare: written by hand) are read again through `pg`, which tells them apart (pg-time.ts).
   */
  private async withEnds(rows: KeyRow[]): Promise<KeyRow[]> {
    const odd = rows.filter((r) => invalid(r.expires) || invalid(r.budgetResetAt));
    if (odd.length === 0) return rows;
    const ends = await guard(
      this.db.query<{ token: string; expires: Date | number | null; budgetResetAt: Date | number | null }>(
        'SELECT token, expires, budget_reset_at AS "budgetResetAt" FROM virtual_keys WHERE token = ANY($1)',
        [odd.map((r) => r.token)],
      ),
    );
    const byToken = new Map(ends.map((e) => [e.token, e]));
    for (const r of odd) {
      // Gone meanwhile: its expiry counts as passed, so the row refuses calls rather than allow them.
      const e = byToken.get(r.token);
      if (invalid(r.expires)) r.expires = pgEnd(e ? e.expires : -Infinity);
      if (invalid(r.budgetResetAt)) r.budgetResetAt = pgEnd(e ? e.budgetResetAt : Infinity);
    }
    return rows;
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
    token: e.token,
    details: details,
  };
}

function invalid(d: Date | null): boolean {
  return d !== null && Number.isNaN(d.getTime());
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
