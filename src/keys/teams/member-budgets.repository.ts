import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DatabaseService } from '../../database/database.service';
import type { Budget, Prisma } from '../../generated/prisma/client';
import type { Actor } from '../actor';
import { objectAudit } from '../access/audit';
import { firstResetAt } from '../budget/budget-period';
import { applyPeriodToMembers, touchTeams } from '../budgets/budgets.repository';
import { rethrowDatabaseError } from '../db-errors';

/** Member budget fields as a budget row holds them (absent: unchanged; null: cleared). */
export interface MemberBudgetFields {
  maxBudget?: number | null;
  budgetDuration?: string | null;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
}

/** A membership as team info answers it, with its own budget when it has one. */
export type MembershipWithBudget = Prisma.TeamMembershipGetPayload<object> & { budget: Budget | null };

type Tx = Prisma.TransactionClient;

/**
 * Team-member budgets, kept as LiteLLM keeps them: budget rows (budgets), one per member that has its own (linked
 * from its team_memberships row) and one per team for its team_member_budget (named in the team's metadata as
 * `team_member_budget_id`). Each change writes its audit rows and puts the team in the mirror's change log.
 */
@Injectable()
export class MemberBudgetsRepository {
  constructor(private readonly db: DatabaseService) {}

  /** The team's team_member_budget: created on first use, then changed. */
  setTeamDefault(teamId: string, fields: MemberBudgetFields, actor: Actor): Promise<void> {
    return this.run(async (tx) => {
      const [team] = await tx.$queryRaw<{ id: string | null }[]>`
        SELECT metadata->>'team_member_budget_id' AS id FROM teams WHERE team_id = ${teamId} FOR UPDATE`;
      if (!team) return;
      const budgetId = await upsertBudget(tx, team.id, fields, actor, { team_id: teamId, team_member_budget: true });
      if (budgetId !== team.id)
        await tx.$executeRaw`UPDATE teams SET metadata = metadata || jsonb_build_object('team_member_budget_id', ${budgetId}::text)
          WHERE team_id = ${teamId}`;
      await applyPeriodToMembers(tx, budgetId);
      await touchTeams(tx, [teamId]);
    });
  }

  /** These users' own budgets in the team: created on first use, then changed. */
  setMembers(teamId: string, userIds: readonly string[], fields: MemberBudgetFields, actor: Actor): Promise<void> {
    if (userIds.length === 0) return Promise.resolve();
    return this.run(async (tx) => {
      for (const userId of userIds) {
        const m = await tx.teamMembership.findUnique({ where: { teamId_userId: { teamId, userId } } });
        const budgetId = await upsertBudget(tx, m?.budgetId ?? null, fields, actor, {
          team_id: teamId,
          user_id: userId,
        });
        await tx.teamMembership.upsert({
          where: { teamId_userId: { teamId, userId } },
          create: { teamId, userId, budgetId },
          update: { budgetId },
        });
        await applyPeriodToMembers(tx, budgetId);
      }
      await touchTeams(tx, [teamId]);
    });
  }

  /** The users gone from the team: their membership (and spend in it) goes too. */
  leave(teamId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return Promise.resolve();
    return this.run(async (tx) => {
      const gone = await tx.teamMembership.deleteMany({ where: { teamId, userId: { in: [...userIds] } } });
      if (gone.count > 0) await touchTeams(tx, [teamId]);
    });
  }

  /**
   * The teams' memberships (members that have spent or have a budget there; `userId`: that user's only), with their
   * own budgets.
   */
  async memberships(teamIds: readonly string[], userId?: string): Promise<MembershipWithBudget[]> {
    const rows = await this.db.prisma.teamMembership
      .findMany({
        where: { teamId: { in: [...teamIds] }, ...(userId !== undefined && { userId }) },
        orderBy: { createdAt: 'asc' },
        take: 10_000,
      })
      .catch(rethrowDatabaseError);
    const ids = rows.flatMap((r) => (r.budgetId ? [r.budgetId] : []));
    const budgets = ids.length > 0 ? await this.db.prisma.budget.findMany({ where: { budgetId: { in: ids } } }) : [];
    const byId = new Map(budgets.map((b) => [b.budgetId, b]));
    return rows.map((r) => ({ ...r, budget: r.budgetId ? (byId.get(r.budgetId) ?? null) : null }));
  }

  find(budgetId: string): Promise<Budget | null> {
    return this.db.prisma.budget.findUnique({ where: { budgetId } }).catch(rethrowDatabaseError);
  }

  /** Stored user ids of these emails (members named by email alone). */
  async userIdsOf(emails: readonly string[]): Promise<string[]> {
    if (emails.length === 0) return [];
    const rows = await this.db.prisma.user
      .findMany({ where: { userEmail: { in: [...emails] } }, select: { userId: true } })
      .catch(rethrowDatabaseError);
    return rows.map((r) => r.userId);
  }

  private run(fn: (tx: Tx) => Promise<void>): Promise<void> {
    return this.db.prisma.$transaction(fn).catch(rethrowDatabaseError);
  }
}

/** Changes budget `budgetId` (null: creates one), audited; answers its id. */
async function upsertBudget(
  tx: Tx,
  budgetId: string | null,
  f: MemberBudgetFields,
  actor: Actor,
  about: Record<string, unknown>,
): Promise<string> {
  const data: Prisma.BudgetUncheckedUpdateInput = {};
  if (f.maxBudget !== undefined) data.maxBudget = f.maxBudget;
  if (f.rpmLimit !== undefined) data.rpmLimit = f.rpmLimit;
  if (f.tpmLimit !== undefined) data.tpmLimit = f.tpmLimit;
  if (f.budgetDuration !== undefined) {
    data.budgetDuration = f.budgetDuration;
    data.budgetResetAt = firstResetAt(f.budgetDuration);
  }
  const details = { ...about, ...f };
  if (budgetId !== null) {
    const found = await tx.budget.updateMany({ where: { budgetId }, data: { ...data, updatedBy: actor.id } });
    if (found.count > 0) {
      await tx.auditLog.create({ data: objectAudit(actor, 'budget.update', budgetId, details) });
      return budgetId;
    }
  }
  const id = randomUUID();
  await tx.budget.create({
    data: { ...(data as Prisma.BudgetUncheckedCreateInput), budgetId: id, createdBy: actor.id, updatedBy: actor.id },
  });
  await tx.auditLog.create({ data: objectAudit(actor, 'budget.new', id, details) });
  return id;
}
