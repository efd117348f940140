import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../../database/database.service';
import type { Budget, Prisma } from '../../generated/prisma/client';
import type { Actor } from '../actor';
import { objectAudit } from '../access/audit';
import { rethrowDatabaseError } from '../db-errors';

export type BudgetRow = Budget;
export type BudgetChanges = Omit<Prisma.BudgetUncheckedUpdateInput, 'budgetId' | 'createdAt' | 'updatedAt'>;
type Tx = Prisma.TransactionClient;

/** What a budget change reached: the end users and teams (their members) that take its limits. */
export interface BudgetHolders {
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
        const endUsers = await applyToEndUsers(tx, budgetId);
        const teams = await teamsOf(tx, budgetId);
        await touchTeams(tx, teams);
        return { row, holders: { endUsers, teams } };
      }),
    );
  }

  /** Deletes an unused budget (null: unknown; throws BudgetInUse when an end user or team member takes it). */
  delete(budgetId: string, actor: Actor): Promise<BudgetRow | null> {
    return guard(
      this.db.prisma.$transaction(async (tx) => {
        // Locked: an end user or member taking it meanwhile (FOR SHARE) waits, then finds it gone.
        await tx.$queryRaw`SELECT budget_id FROM budgets WHERE budget_id = ${budgetId} FOR UPDATE`;
        const row = await tx.budget.findUnique({ where: { budgetId } });
        if (!row) return null;
        const users = await tx.endUser.count({ where: { budgetId } });
        const teams = await teamsOf(tx, budgetId);
        if (users > 0 || teams.length > 0) throw new BudgetInUse(users, teams.length);
        await tx.budget.delete({ where: { budgetId } });
        await tx.auditLog.create({ data: objectAudit(actor, 'budget.delete', budgetId) });
        return row;
      }),
    );
  }
}

/** A budget that end users or team members still take: deleting it would leave them with limits of nothing. */
export class BudgetInUse extends Error {
  constructor(
    readonly endUsers: number,
    readonly teams: number,
  ) {
    super('budget in use');
  }
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
