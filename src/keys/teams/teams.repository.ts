import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../../database/database.service';
import type { Prisma, Team } from '../../generated/prisma/client';
import type { Actor } from '../actor';
import { objectAudit } from '../access/audit';
import { rethrowDatabaseError } from '../db-errors';

export type TeamRow = Team;
export type TeamChanges = Omit<Prisma.TeamUncheckedUpdateInput, 'teamId' | 'spend' | 'createdAt' | 'updatedAt'>;

/** Data access for teams: each change is written with its audit row in one transaction. */
@Injectable()
export class TeamsRepository {
  constructor(private readonly db: DatabaseService) {}

  private get prisma() {
    return this.db.prisma;
  }

  find(teamId: string): Promise<TeamRow | null> {
    return guard(this.prisma.team.findUnique({ where: { teamId } }));
  }

  findMany(teamIds: readonly string[]): Promise<TeamRow[]> {
    return guard(this.prisma.team.findMany({ where: { teamId: { in: [...teamIds] } }, orderBy: { createdAt: 'asc' } }));
  }

  /** The teams whose members name this user, in team_id order. */
  async teamsOfMember(userId: string): Promise<string[]> {
    const rows = await guard(
      this.prisma.team.findMany({
        where: { members: { has: userId } },
        select: { teamId: true },
        orderBy: { teamId: 'asc' },
      }),
    );
    return rows.map((r) => r.teamId);
  }

  /** A taken team_id raises UniqueViolation. */
  create(data: Prisma.TeamUncheckedCreateInput, actor: Actor, action: string, details: object): Promise<TeamRow> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const row = await tx.team.create({ data: { ...data, createdBy: actor.id, updatedBy: actor.id } });
        await tx.auditLog.create({ data: objectAudit(actor, action, row.teamId, details as Record<string, unknown>) });
        return row;
      }),
    );
  }

  /**
   * A team seen in a JWT for the first time (team upsert): created with no limits, or left as it is when another
   * caller or instance created it meanwhile. True when this call created it.
   */
  async upsertSeen(teamId: string, actor: Actor): Promise<boolean> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const res = await tx.team.createMany({ data: [{ teamId, createdBy: actor.id }], skipDuplicates: true });
        if (res.count > 0) await tx.auditLog.create({ data: objectAudit(actor, 'team.upsert', teamId) });
        return res.count > 0;
      }),
    );
  }

  /**
   * Null when the team is unknown. `change` may compute the update from the current row (members); `also` runs in the
   * same transaction once the row is written (what the change takes with it).
   */
  update(
    teamId: string,
    change: TeamChanges | ((row: TeamRow) => TeamChanges),
    actor: Actor,
    action: string,
    details: object,
    also?: (tx: Prisma.TransactionClient) => Promise<void>,
  ): Promise<TeamRow | null> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        let data = change;
        if (typeof change === 'function') {
          const rows = await tx.$queryRaw<
            { team_id: string }[]
          >`SELECT team_id FROM teams WHERE team_id = ${teamId} FOR UPDATE`;
          if (rows.length === 0) return null;
          data = change((await tx.team.findUnique({ where: { teamId } }))!);
        }
        const found = await tx.team.updateMany({
          where: { teamId },
          data: { ...(data as TeamChanges), updatedBy: actor.id },
        });
        if (found.count === 0) return null;
        await also?.(tx);
        await tx.auditLog.create({ data: objectAudit(actor, action, teamId, details as Record<string, unknown>) });
        return tx.team.findUniqueOrThrow({ where: { teamId } });
      }),
    );
  }

  /** The users of this email (a member listed by email alone names no user id). */
  static async userIdsOfEmail(tx: Prisma.TransactionClient, email: string): Promise<string[]> {
    const rows = await tx.user.findMany({ where: { userEmail: email }, select: { userId: true } });
    return rows.map((u) => u.userId);
  }

  /** Deletes the keys in the team of these users; answers their tokens. */
  static async deleteMemberKeys(tx: Prisma.TransactionClient, teamId: string, userIds: readonly string[]) {
    if (userIds.length === 0) return [];
    const where = { teamId, userId: { in: [...userIds] } };
    const keys = await tx.virtualKey.findMany({ where, select: { token: true } });
    await tx.virtualKey.deleteMany({ where });
    return keys.map((k) => k.token);
  }

  /** Deletes the teams (all or nothing: null when one is unknown) and their keys; answers the keys' tokens. */
  delete(teamIds: readonly string[], actor: Actor): Promise<{ tokens: string[] } | null> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const res = await tx.team.deleteMany({ where: { teamId: { in: [...teamIds] } } });
        if (res.count !== new Set(teamIds).size) throw new MissingTeams();
        await tx.teamMembership.deleteMany({ where: { teamId: { in: [...teamIds] } } });
        // As LiteLLM's delete, which removes each member: no user goes on listing a team that is gone.
        const gone = [...teamIds];
        await tx.$executeRaw`UPDATE users SET teams = ARRAY(SELECT t FROM unnest(teams) WITH ORDINALITY AS u(t, i)
            WHERE t <> ALL(${gone}::text[]) ORDER BY i)
          WHERE teams && ${gone}::text[]`;
        const keys = await tx.virtualKey.findMany({ where: { teamId: { in: [...teamIds] } }, select: { token: true } });
        await tx.virtualKey.deleteMany({ where: { teamId: { in: [...teamIds] } } });
        await tx.auditLog.createMany({
          data: teamIds.map((id) => objectAudit(actor, 'team.delete', id, { deleted_keys: keys.length })),
        });
        return { tokens: keys.map((k) => k.token) };
      }),
    ).catch((err: unknown) => {
      if (err instanceof MissingTeams) return null;
      throw err;
    });
  }

  list(filter: { userId?: string; organizationId?: string; teamIds?: readonly string[] }): Promise<TeamRow[]> {
    const where: Prisma.TeamWhereInput = {
      organizationId: filter.organizationId,
      ...(filter.teamIds ? { teamId: { in: [...filter.teamIds] } } : {}),
      ...(filter.userId
        ? {
            OR: [
              { members: { has: filter.userId } },
              { admins: { has: filter.userId } },
              { membersWithRoles: { array_contains: [{ user_id: filter.userId }] } },
            ],
          }
        : {}),
    };
    return guard(this.prisma.team.findMany({ where, orderBy: [{ createdAt: 'asc' }, { teamId: 'asc' }], take: 1000 }));
  }

  /** The keys of these teams, for /team/list (bounded: the listed teams' keys, oldest first). */
  keysOfTeams(teamIds: readonly string[]) {
    return guard(
      this.prisma.virtualKey.findMany({
        where: { teamId: { in: [...teamIds] } },
        orderBy: { createdAt: 'asc' },
        take: 10_000,
      }),
    );
  }

  /** The team's keys, for /team/info. */
  keysOf(teamId: string) {
    return guard(this.prisma.virtualKey.findMany({ where: { teamId }, orderBy: { createdAt: 'asc' }, take: 1000 }));
  }
}

class MissingTeams extends Error {}

function guard<T>(p: Promise<T>): Promise<T> {
  return p.catch(rethrowDatabaseError);
}
