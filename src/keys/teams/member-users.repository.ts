import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Errors } from '../../common/errors/gateway-error';
import { DatabaseService } from '../../database/database.service';
import type { Actor } from '../actor';
import { objectAudit } from '../access/audit';
import { rethrowDatabaseError } from '../db-errors';

export interface MemberRef {
  user_id?: string | null;
  user_email?: string | null;
}

/**
 * The user rows behind team members, kept as LiteLLM keeps them: a member added to a team is a stored user with
 * that team in its `teams` (created when unknown), and a member removed loses it.
 */
@Injectable()
export class MemberUsersRepository {
  constructor(private readonly db: DatabaseService) {}

  /**
   * A member named by id is created when unknown (role `internal_user`, as LiteLLM); one named by email alone is
   * the user of that email, or a new user with a generated id. Answers the ids of the users created. A few queries
   * for the whole list, not a few per member: a list of 1000 members stays well within the transaction's time.
   */
  async join(teamId: string, members: readonly MemberRef[], actor: Actor, via = 'team.member_add'): Promise<string[]> {
    return (await this.joinMembers(teamId, members, actor, via)).created;
  }

  /**
   * As `join`, also answering each member with its user id (a member named by email alone gets the id of its
   * user), in the order given: members_with_roles lists them so, as LiteLLM does.
   */
  joinMembers<M extends MemberRef>(
    teamId: string,
    members: readonly M[],
    actor: Actor,
    via = 'team.member_add',
  ): Promise<{ created: string[]; members: M[] }> {
    return this.db.prisma
      .$transaction(async (tx) => {
        const emails = [...new Set(members.flatMap((m) => (!m.user_id && m.user_email ? [m.user_email] : [])))];
        const byEmail = new Map<string, string>();
        if (emails.length > 0) {
          const found = await tx.user.findMany({
            where: { userEmail: { in: emails } },
            select: { userId: true, userEmail: true },
          });
          for (const u of found) {
            if (byEmail.has(u.userEmail!)) throw new AmbiguousEmail();
            byEmail.set(u.userEmail!, u.userId);
          }
        }
        // Each member's user id, with the email a new user is stored with (the first given for it).
        const users = new Map<string, string | null>();
        for (const m of members) {
          let userId = m.user_id ?? undefined;
          if (userId === undefined && m.user_email) {
            userId = byEmail.get(m.user_email) ?? randomUUID();
            byEmail.set(m.user_email, userId);
          }
          if (userId !== undefined && !users.has(userId)) users.set(userId, m.user_email ?? null);
        }
        const resolved = members.map((m) =>
          !m.user_id && m.user_email ? { ...m, user_id: byEmail.get(m.user_email) ?? null } : m,
        );
        if (users.size === 0) return { created: [], members: resolved };
        const made = await tx.user.createManyAndReturn({
          data: [...users].map(([userId, userEmail]) => ({
            userId,
            userEmail,
            userRole: 'internal_user',
            teams: [teamId],
            createdBy: actor.id,
            updatedBy: actor.id,
          })),
          skipDuplicates: true,
          select: { userId: true },
        });
        const created = made.map((u) => u.userId);
        const isNew = new Set(created);
        const known = [...users.keys()].filter((id) => !isNew.has(id));
        if (known.length > 0)
          await tx.user.updateMany({
            where: { userId: { in: known }, NOT: { teams: { has: teamId } } },
            data: { teams: { push: teamId } },
          });
        if (created.length > 0)
          await tx.auditLog.createMany({
            data: created.map((id) => objectAudit(actor, 'user.new', id, { team_id: teamId, via })),
          });
        return { created, members: resolved };
      })
      .catch((err: unknown) => {
        if (err instanceof AmbiguousEmail)
          throw Errors.badRequest(
            "Multiple users with this email found. Please use 'user_id' instead.",
            'user_email',
            'ambiguous_user_email',
          );
        return rethrowDatabaseError(err);
      });
  }

  /** The removed members' users no longer list the team. */
  async leave(teamId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    await this.db.prisma.$executeRaw`UPDATE users SET teams = array_remove(teams, ${teamId})
        WHERE user_id = ANY(${[...userIds]}::text[]) AND ${teamId} = ANY(teams)`.catch(rethrowDatabaseError);
  }
}

class AmbiguousEmail extends Error {}
