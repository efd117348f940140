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
   * the user of that email, or a new user with a generated id. Answers the ids of the users created.
   */
  join(teamId: string, members: readonly MemberRef[], actor: Actor): Promise<string[]> {
    return this.db.prisma
      .$transaction(async (tx) => {
        const created: string[] = [];
        for (const m of members) {
          let userId = m.user_id ?? undefined;
          if (userId === undefined && m.user_email) {
            const found = await tx.user.findMany({
              where: { userEmail: m.user_email },
              select: { userId: true },
              take: 2,
            });
            if (found.length > 1) throw new AmbiguousEmail();
            userId = found[0]?.userId ?? randomUUID();
          }
          if (userId === undefined) continue;
          const made = await tx.user.createMany({
            data: [
              {
                userId,
                userEmail: m.user_email ?? null,
                userRole: 'internal_user',
                teams: [teamId],
                createdBy: actor.id,
                updatedBy: actor.id,
              },
            ],
            skipDuplicates: true,
          });
          if (made.count > 0) {
            created.push(userId);
            await tx.auditLog.create({
              data: objectAudit(actor, 'user.new', userId, { team_id: teamId, via: 'team.member_add' }),
            });
          } else {
            await tx.user.updateMany({
              where: { userId, NOT: { teams: { has: teamId } } },
              data: { teams: { push: teamId } },
            });
          }
        }
        return created;
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

  /** The removed member's user (by id, else by email) no longer lists the team. */
  async leave(teamId: string, member: MemberRef): Promise<void> {
    const run = member.user_id
      ? this.db.prisma.$executeRaw`UPDATE users SET teams = array_remove(teams, ${teamId})
          WHERE user_id = ${member.user_id} AND ${teamId} = ANY(teams)`
      : member.user_email
        ? this.db.prisma.$executeRaw`UPDATE users SET teams = array_remove(teams, ${teamId})
            WHERE user_email = ${member.user_email} AND ${teamId} = ANY(teams)`
        : undefined;
    await run?.catch(rethrowDatabaseError);
  }
}

class AmbiguousEmail extends Error {}
