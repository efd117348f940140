import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../../database/database.service';
import type { Prisma, User } from '../../generated/prisma/client';
import type { Actor } from '../actor';
import { objectAudit } from '../access/audit';
import { rethrowDatabaseError } from '../db-errors';
import type { USER_SORT_COLUMNS } from './user-requests.dto';

/** /user/list's filters and order (LiteLLM's query parameters, read by the service). */
export interface UserFilter {
  role?: string;
  userIds?: string[];
  team?: string;
  /** Part of the email, any case. */
  email?: string;
  ssoUserIds?: string[];
  sortBy?: (typeof USER_SORT_COLUMNS)[keyof typeof USER_SORT_COLUMNS];
  sortOrder?: 'asc' | 'desc';
}

export type UserRow = User;
export type UserChanges = Omit<Prisma.UserUncheckedUpdateInput, 'userId' | 'spend' | 'createdAt' | 'updatedAt'>;

/** Data access for users: each change is written with its audit row in one transaction. */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: DatabaseService) {}

  private get prisma() {
    return this.db.prisma;
  }

  find(userId: string): Promise<UserRow | null> {
    return guard(this.prisma.user.findUnique({ where: { userId } }));
  }

  /** The ids of the users of this email: at most two, enough to tell one from several. */
  async idsByEmail(email: string): Promise<string[]> {
    const rows = await guard(
      this.prisma.user.findMany({ where: { userEmail: email }, select: { userId: true }, take: 2 }),
    );
    return rows.map((r) => r.userId);
  }

  create(data: Prisma.UserUncheckedCreateInput, actor: Actor, details: object): Promise<UserRow> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const row = await tx.user.create({ data: { ...data, createdBy: actor.id, updatedBy: actor.id } });
        await tx.auditLog.create({
          data: objectAudit(actor, 'user.new', row.userId, details as Record<string, unknown>),
        });
        return row;
      }),
    );
  }

  /** A user seen in a JWT for the first time (user upsert): true when this call created it. */
  async upsertSeen(userId: string, email: string | undefined, actor: Actor): Promise<boolean> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const res = await tx.user.createMany({
          data: [{ userId, userEmail: email ?? null, userRole: 'internal_user', createdBy: actor.id }],
          skipDuplicates: true,
        });
        if (res.count > 0) await tx.auditLog.create({ data: objectAudit(actor, 'user.upsert', userId) });
        return res.count > 0;
      }),
    );
  }

  update(
    userId: string,
    change: (row: UserRow) => UserChanges & { spend?: number },
    actor: Actor,
    action: string,
    details: object,
  ): Promise<UserRow | null> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const locked = await tx.$queryRaw<
          { user_id: string }[]
        >`SELECT user_id FROM users WHERE user_id = ${userId} FOR UPDATE`;
        if (locked.length === 0) return null;
        const current = await tx.user.findUniqueOrThrow({ where: { userId } });
        const row = await tx.user.update({ where: { userId }, data: { ...change(current), updatedBy: actor.id } });
        await tx.auditLog.create({ data: objectAudit(actor, action, userId, details as Record<string, unknown>) });
        return row;
      }),
    );
  }

  /** Deletes the users (all or nothing: null when one is unknown) and their keys; answers the keys' tokens. */
  delete(userIds: readonly string[], actor: Actor): Promise<{ tokens: string[] } | null> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const res = await tx.user.deleteMany({ where: { userId: { in: [...userIds] } } });
        if (res.count !== new Set(userIds).size) throw new MissingUsers();
        const keys = await tx.virtualKey.findMany({ where: { userId: { in: [...userIds] } }, select: { token: true } });
        await tx.virtualKey.deleteMany({ where: { userId: { in: [...userIds] } } });
        await leaveTeams(tx, userIds);
        await tx.auditLog.createMany({
          data: userIds.map((id) => objectAudit(actor, 'user.delete', id, { deleted_keys: keys.length })),
        });
        return { tokens: keys.map((k) => k.token) };
      }),
    ).catch((err: unknown) => {
      if (err instanceof MissingUsers) return null;
      throw err;
    });
  }

  async list(filter: UserFilter, page: number, size: number): Promise<{ rows: UserRow[]; total: number }> {
    const where: Prisma.UserWhereInput = {
      userRole: filter.role,
      ...(filter.userIds ? { userId: { in: filter.userIds } } : {}),
      ...(filter.team ? { teams: { has: filter.team } } : {}),
      ...(filter.email ? { userEmail: { contains: filter.email, mode: 'insensitive' } } : {}),
      ...(filter.ssoUserIds
        ? {
            OR: filter.ssoUserIds.map((id): Prisma.UserWhereInput => ({
              extra: { path: ['sso_user_id'], equals: id },
            })),
          }
        : {}),
    };
    const orderBy: Prisma.UserOrderByWithRelationInput[] = filter.sortBy
      ? [{ [filter.sortBy]: filter.sortOrder ?? 'asc' }, { userId: 'asc' }]
      : [{ createdAt: 'asc' }, { userId: 'asc' }];
    const [rows, total] = await guard(
      this.prisma.$transaction([
        this.prisma.user.findMany({
          where,
          orderBy,
          skip: (page - 1) * size,
          take: size,
        }),
        this.prisma.user.count({ where }),
      ]),
    );
    return { rows, total };
  }

  keysOf(userId: string) {
    return guard(this.prisma.virtualKey.findMany({ where: { userId }, orderBy: { createdAt: 'asc' }, take: 1000 }));
  }

  teamsOf(userId: string, teamIds: readonly string[]) {
    return guard(
      this.prisma.team.findMany({
        where: { OR: [{ teamId: { in: [...teamIds] } }, { members: { has: userId } }, { admins: { has: userId } }] },
        orderBy: { createdAt: 'asc' },
        take: 1000,
      }),
    );
  }
}

class MissingUsers extends Error {}

function guard<T>(p: Promise<T>): Promise<T> {
  return p.catch(rethrowDatabaseError);
}

/** Takes deleted users out of every team that lists them (members, admins, members_with_roles), as LiteLLM does. */
async function leaveTeams(tx: Prisma.TransactionClient, userIds: readonly string[]): Promise<void> {
  const gone = new Set(userIds);
  const teams = await tx.team.findMany({
    where: {
      OR: [
        { members: { hasSome: [...userIds] } },
        { admins: { hasSome: [...userIds] } },
        ...userIds.map((id): Prisma.TeamWhereInput => ({ membersWithRoles: { array_contains: [{ user_id: id }] } })),
      ],
    },
    select: { teamId: true, members: true, admins: true, membersWithRoles: true },
  });
  for (const t of teams) {
    const roles = Array.isArray(t.membersWithRoles) ? t.membersWithRoles : [];
    await tx.team.update({
      where: { teamId: t.teamId },
      data: {
        members: t.members.filter((m) => !gone.has(m)),
        admins: t.admins.filter((a) => !gone.has(a)),
        membersWithRoles: roles.filter(
          (m) =>
            !(m && typeof m === 'object' && !Array.isArray(m) && typeof m.user_id === 'string' && gone.has(m.user_id)),
        ),
      },
    });
  }
  await tx.teamMembership.deleteMany({ where: { userId: { in: [...userIds] } } });
}
