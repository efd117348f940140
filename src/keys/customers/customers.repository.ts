import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../../database/database.service';
import type { EndUser, Prisma } from '../../generated/prisma/client';
import type { Actor } from '../actor';
import { objectAudit } from '../access/audit';
import { applyToEndUsers, lockBudget } from '../budgets/budgets.repository';
import { rethrowDatabaseError } from '../db-errors';

export type CustomerRow = EndUser;
export type CustomerChanges = Omit<Prisma.EndUserUncheckedUpdateInput, 'userId' | 'spend' | 'createdAt' | 'updatedAt'>;

/** Data access for end users (LiteLLM's customers): each change is written with its audit row in one transaction. */
@Injectable()
export class CustomersRepository {
  constructor(private readonly db: DatabaseService) {}

  private get prisma() {
    return this.db.prisma;
  }

  find(userId: string): Promise<CustomerRow | null> {
    return guard(this.prisma.endUser.findUnique({ where: { userId } }));
  }

  create(data: Prisma.EndUserUncheckedCreateInput, actor: Actor, details: object): Promise<CustomerRow> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const row = await tx.endUser.create({ data: { ...data, createdBy: actor.id, updatedBy: actor.id } });
        await tx.auditLog.create({
          data: objectAudit(actor, 'customer.new', row.userId, details as Record<string, unknown>),
        });
        return withBudget(tx, row);
      }),
    );
  }

  update(
    userId: string,
    change: (row: CustomerRow) => CustomerChanges,
    actor: Actor,
    action: string,
    details: object,
  ): Promise<CustomerRow | null> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<
          { user_id: string }[]
        >`SELECT user_id FROM end_users WHERE user_id = ${userId} FOR UPDATE`;
        if (locked.length === 0) return null;
        const current = await tx.endUser.findUniqueOrThrow({ where: { userId } });
        const row = await tx.endUser.update({ where: { userId }, data: { ...change(current), updatedBy: actor.id } });
        await tx.auditLog.create({ data: objectAudit(actor, action, userId, details as Record<string, unknown>) });
        return row.budgetId === current.budgetId ? row : withBudget(tx, row);
      }),
    );
  }

  /**
   * Blocks or unblocks these end users (all or nothing: false when one is unknown). An end user not stored yet is
   * created blocked: blocking someone who has not called yet must hold when they do.
   */
  setBlocked(userIds: readonly string[], blocked: boolean, actor: Actor): Promise<void> {
    const action = blocked ? 'customer.block' : 'customer.unblock';
    return guard(
      this.prisma.$transaction(async (tx) => {
        if (blocked)
          await tx.endUser.createMany({
            data: userIds.map((userId) => ({ userId, createdBy: actor.id })),
            skipDuplicates: true,
          });
        await tx.endUser.updateMany({
          where: { userId: { in: [...userIds] } },
          data: { blocked, updatedBy: actor.id },
        });
        await tx.auditLog.createMany({ data: userIds.map((id) => objectAudit(actor, action, id)) });
      }),
    );
  }

  delete(userIds: readonly string[], actor: Actor): Promise<boolean> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const res = await tx.endUser.deleteMany({ where: { userId: { in: [...userIds] } } });
        if (res.count !== new Set(userIds).size) throw new MissingCustomers();
        await tx.auditLog.createMany({ data: userIds.map((id) => objectAudit(actor, 'customer.delete', id)) });
        return true;
      }),
    ).catch((err: unknown) => {
      if (err instanceof MissingCustomers) return false;
      throw err;
    });
  }

  list(): Promise<CustomerRow[]> {
    return guard(this.prisma.endUser.findMany({ orderBy: [{ createdAt: 'asc' }, { userId: 'asc' }], take: 1000 }));
  }
}

class MissingCustomers extends Error {}

/**
 * An end user that takes a budget gets its limits, in the same transaction (the budget locked against a concurrent
 * delete); one that names no budget is refused.
 */
async function withBudget(tx: Prisma.TransactionClient, row: CustomerRow): Promise<CustomerRow> {
  if (row.budgetId === null) return row;
  await lockBudget(tx, row.budgetId);
  await applyToEndUsers(tx, row.budgetId, row.userId);
  return tx.endUser.findUniqueOrThrow({ where: { userId: row.userId } });
}

function guard<T>(p: Promise<T>): Promise<T> {
  return p.catch(rethrowDatabaseError);
}
