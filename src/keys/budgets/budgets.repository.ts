import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../../database/database.service';
import type { Budget, Prisma } from '../../generated/prisma/client';
import type { Actor } from '../actor';
import { objectAudit } from '../access/audit';
import { rethrowDatabaseError } from '../db-errors';

export type BudgetRow = Budget;
export type BudgetChanges = Omit<Prisma.BudgetUncheckedUpdateInput, 'budgetId' | 'createdAt' | 'updatedAt'>;
type Tx = Prisma.TransactionClient;

/** What a budget change reached: the keys, end users and teams (their members) that take its limits. */
export interface BudgetHolders {
  readonly keys: string[];
  readonly endUsers: string[];
  readonly teams: string[];
}

/** Data access for budgets: each change is written with its audit row, and reaches its holders, in one transaction. */
@Injectable()
export class BudgetsRepository {
  constructor(private readonly db: DatabaseService) {}

  find(budgetId: string): Promise<BudgetRow | null> {
    return guard(this.db.prisma.budget.findUnique({ where: { budgetId } }));
  }

  findMany(budgetIds: readonly string[]): Promise<BudgetRow[]> {
    return guard(
      this.db.prisma.budget.findMany({ where: { budgetId: { in: [...budgetIds] } }, orderBy: { createdAt: 'asc' } }),
    );
  }

  list(): Promise<BudgetRow[]> {
    return guard(
      this.db.prisma.budget.findMany({ orderBy: [{ createdAt: 'asc' }, { budgetId: 'asc' }], take: 10_000 }),
    );
  }

  /** A taken budget_id raises UniqueViolation. */
  create(data: Prisma.BudgetUncheckedCreateInput, actor: Actor, details: object): Promise<BudgetRow> {
    return guard(
      this.db.prisma.$transaction(async (tx) => {
        const row = await tx.budget.create({ data: { ...data, createdBy: actor.id, updatedBy: actor.id } });
        await tx.auditLog.create({
          data: objectAudit(actor, 'budget.new', row.budgetId, details as Record<string, unknown>),
        });
        return row;
      }),
    );
  }

  /** Null when the budget is unknown. Its end users take the new limits in the same transaction. */
  update(
    budgetId: string,
    change: (row: BudgetRow) => BudgetChanges,
    actor: Actor,
    details: object,
  ): Promise<{ row: BudgetRow; holders: BudgetHolders } | null> {
    return guard(
      this.db.prisma.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<{ budget_id: string }[]>`
          SELECT budget_id FROM budgets WHERE budget_id = ${budgetId} FOR UPDATE`;
        if (locked.length === 0) return null;
        const current = await tx.budget.findUniqueOrThrow({ where: { budgetId } });
        const row = await tx.budget.update({ where: { budgetId }, data: { ...change(current), updatedBy: actor.id } });
        await tx.auditLog.create({
          data: objectAudit(actor, 'budget.update', budgetId, details as Record<string, unknown>),
        });
        const keys = await applyToKeys(tx, budgetId);
        const endUsers = await applyToEndUsers(tx, budgetId);
        const teams = await teamsOf(tx, budgetId);
        await applyPeriodToMembers(tx, budgetId);
        await touchTeams(tx, teams);
        return { row, holders: { keys, endUsers, teams } };
      }),
    );
  }

  /** Deletes an unused budget (null: unknown; throws BudgetInUse when a key, end user or team member takes it). */
  delete(budgetId: string, actor: Actor): Promise<BudgetRow | null> {
    return guard(
      this.db.prisma.$transaction(async (tx) => {
        // Locked: an end user or member taking it meanwhile (FOR SHARE) waits, then finds it gone.
        await tx.$queryRaw`SELECT budget_id FROM budgets WHERE budget_id = ${budgetId} FOR UPDATE`;
        const row = await tx.budget.findUnique({ where: { budgetId } });
        if (!row) return null;
        const users = await tx.endUser.count({ where: { budgetId } });
        const keys = await tx.virtualKey.count({ where: { budgetId } });
        const teams = await teamsOf(tx, budgetId);
        if (users > 0 || teams.length > 0 || keys > 0) throw new BudgetInUse(users, teams.length, keys);
        await tx.budget.delete({ where: { budgetId } });
        await tx.auditLog.create({ data: objectAudit(actor, 'budget.delete', budgetId) });
        return row;
      }),
    );
  }
}

/** A budget that keys, end users or team members still take: deleting it would leave them with limits of nothing. */
export class BudgetInUse extends Error {
  constructor(
    readonly endUsers: number,
    readonly teams: number,
    readonly keys: number,
  ) {
    super('budget in use');
  }
}

/** A budget_id that names no budget. */
export class UnknownBudget extends Error {
  constructor(readonly budgetId: string) {
    super('unknown budget');
  }
}

/** Locks the budget against a concurrent delete while a holder takes it; throws UnknownBudget when there is none. */
export async function lockBudget(tx: Tx, budgetId: string): Promise<void> {
  const found = await tx.$queryRaw<{ budget_id: string }[]>`
    SELECT budget_id FROM budgets WHERE budget_id = ${budgetId} FOR SHARE`;
  if (found.length === 0) throw new UnknownBudget(budgetId);
}

/** The key limit columns a budget fills where the key sets none of its own (virtual_keys.budget_limits). */
export const KEY_BUDGET_LIMITS = [
  'max_budget',
  'soft_budget',
  'rpm_limit',
  'tpm_limit',
  'max_parallel_requests',
  'budget_duration',
] as const;
export type KeyBudgetLimit = (typeof KEY_BUDGET_LIMITS)[number];

const fromBudget = (c: string) => `${c} = CASE WHEN '${c}' = ANY(v.budget_limits) THEN b.${c} ELSE v.${c} END`;

/**
 * Copies a budget's limits into the limit columns of the keys that take it (all of them, or the one named) where a
 * key sets none of its own (those its budget_limits lists; its model_max_budget into `extra`): the key cache, admission, spend writes, periods and soft
 * budgets then read plain key columns, so a key's budget costs nothing per call. A period already running under the
 * same duration is kept; otherwise the key's period follows the budget's schedule. Answers the keys changed.
 */
export async function applyToKeys(tx: Tx, budgetId: string, token?: string): Promise<string[]> {
  const rows = await tx.$queryRawUnsafe<{ token: string }[]>(
    `UPDATE virtual_keys AS v SET ${KEY_BUDGET_LIMITS.map(fromBudget).join(', ')},
      extra = CASE WHEN NOT ('model_max_budget' = ANY(v.budget_limits)) THEN v.extra
        WHEN jsonb_typeof(b.model_max_budget) = 'object' THEN jsonb_set(v.extra, '{model_max_budget}', b.model_max_budget)
        ELSE v.extra - 'model_max_budget' END,
      budget_reset_at = CASE
        WHEN NOT ('budget_duration' = ANY(v.budget_limits)) THEN v.budget_reset_at
        WHEN b.budget_duration IS NULL THEN NULL
        WHEN v.budget_reset_at IS NULL OR v.budget_duration IS DISTINCT FROM b.budget_duration THEN b.budget_reset_at
        ELSE v.budget_reset_at END
    FROM budgets AS b
    WHERE b.budget_id = $1 AND v.budget_id = b.budget_id AND cardinality(v.budget_limits) > 0
      AND ($2::text IS NULL OR v.token = $2::text)
    RETURNING v.token`,
    budgetId,
    token ?? null,
  );
  return rows.map((r) => r.token);
}

/**
 * Copies a budget's limits into the limit columns of the end users that take it (all of its end users, or the one
 * named), which is what admission, periods and soft budgets read. A period already running under the same duration
 * is kept; otherwise the end user's period follows the budget's schedule. Answers the end users changed.
 */
export async function applyToEndUsers(tx: Tx, budgetId: string, endUserId?: string): Promise<string[]> {
  const rows = await tx.$queryRaw<{ user_id: string }[]>`
    UPDATE end_users AS e SET max_budget = b.max_budget, soft_budget = b.soft_budget, rpm_limit = b.rpm_limit,
      tpm_limit = b.tpm_limit, max_parallel_requests = b.max_parallel_requests, budget_duration = b.budget_duration,
      budget_reset_at = CASE
        WHEN b.budget_duration IS NULL THEN NULL
        WHEN e.budget_reset_at IS NULL OR e.budget_duration IS DISTINCT FROM b.budget_duration THEN b.budget_reset_at
        ELSE e.budget_reset_at END,
      updated_at = now()
    FROM budgets AS b
    WHERE b.budget_id = ${budgetId} AND e.budget_id = b.budget_id
      AND (${endUserId ?? null}::text IS NULL OR e.user_id = ${endUserId ?? null}::text)
    RETURNING e.user_id`;
  return rows.map((r) => r.user_id);
}

/** A budget's current period end (null: no budget_duration), rolled forward from its schedule when it has passed. */
export const BUDGET_PERIOD_END = `CASE WHEN b.budget_duration IS NULL THEN NULL
  WHEN b.budget_reset_at <= now() THEN llmgw_next_reset(b.budget_reset_at, b.budget_duration, now())
  ELSE b.budget_reset_at END`;

/**
 * The end of the period after membership `m`'s current one: one budget_duration of its budget (its own, else its
 * team's team_member_budget) after it, by the database (no drift).
 */
export const MEMBER_NEXT_PERIOD = `llmgw_next_reset(m.budget_reset_at, (SELECT b.budget_duration FROM budgets AS b
  WHERE b.budget_id = COALESCE(m.budget_id,
    (SELECT mt.metadata->>'team_member_budget_id' FROM teams AS mt WHERE mt.team_id = m.team_id))), now())`;

/**
 * Puts the memberships that take this budget (their own, or their team's team_member_budget) on its schedule: a
 * membership whose period already ended starts the budget's current one from 0; one in step is left alone, so this
 * is safe after any change of the budget. The member's spend writes then roll the period on (spend-statement.ts).
 */
export async function applyPeriodToMembers(tx: Tx, budgetId: string): Promise<void> {
  await tx.$executeRawUnsafe(
    `UPDATE team_memberships AS m SET spend = CASE WHEN m.budget_reset_at <= now() THEN 0 ELSE m.spend END,
      budget_reset_at = p.reset_at, updated_at = now()
    FROM (SELECT ${BUDGET_PERIOD_END} AS reset_at FROM budgets AS b WHERE b.budget_id = $1) AS p
    WHERE (m.budget_id = $1 OR (m.budget_id IS NULL
        AND m.team_id IN (SELECT team_id FROM teams WHERE metadata->>'team_member_budget_id' = $1)))
      AND m.budget_reset_at IS DISTINCT FROM p.reset_at`,
    budgetId,
  );
}

/** Teams whose members take this budget: a member's own, or the team's team_member_budget. */
async function teamsOf(tx: Tx, budgetId: string): Promise<string[]> {
  const rows = await tx.$queryRaw<{ team_id: string }[]>`
    SELECT team_id FROM team_memberships WHERE budget_id = ${budgetId}
    UNION SELECT team_id FROM teams WHERE metadata->>'team_member_budget_id' = ${budgetId}`;
  return rows.map((r) => r.team_id);
}

/**
 * Puts these teams in the mirror's change log: their members' limits changed, which no team column shows (the
 * update trigger watches the team's own columns only).
 */
export async function touchTeams(tx: Tx, teamIds: readonly string[]): Promise<void> {
  if (teamIds.length === 0) return;
  await tx.$executeRaw`UPDATE teams SET change_seq = nextval('llmgw_object_change_seq')
    WHERE team_id = ANY(${[...teamIds]}::text[])`;
}

function guard<T>(p: Promise<T>): Promise<T> {
  return p.catch(rethrowDatabaseError);
}
