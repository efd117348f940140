import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../../database/database.service';
import { MEMBER_NEXT_PERIOD } from '../budgets/budgets.repository';
import { rethrowDatabaseError } from '../db-errors';
import { PeriodSpend, resetAtMsOf } from '../budget/period-spend';
import { TeamMembers, type MemberLimits } from './team-members';

const LIMITS = `b.max_budget AS "maxBudget", b.rpm_limit AS "rpmLimit", b.tpm_limit AS "tpmLimit",
  b.budget_duration AS "budgetDuration"`;

interface FallbackRow extends MemberLimits {
  teamId: string;
}
interface MembershipRaw {
  teamId: string;
  userId: string;
  spend: number;
  resetAt: Date | null;
  hasOwn: boolean;
  maxBudget: number | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
}

/** What the mirror reads of team-member budgets: per team, its team_member_budget and its members' own and spend. */
@Injectable()
export class TeamMembersRepository {
  constructor(private readonly db: DatabaseService) {}

  /**
   * The member budgets of these teams (null: every team), as held in memory; a team without any is absent.
   * `unflushed` adds what this instance recorded and has not written yet.
   */
  async load(
    teamIds: readonly string[] | null,
    unflushed: (teamId: string, userId: string) => number,
  ): Promise<Map<string, TeamMembers>> {
    const ids = teamIds ? [...teamIds] : null;
    const fallbacks = await this.query<FallbackRow>(
      `SELECT t.team_id AS "teamId", ${LIMITS} FROM teams AS t
       JOIN budgets AS b ON b.budget_id = t.metadata->>'team_member_budget_id'
       WHERE $1::text[] IS NULL OR t.team_id = ANY($1::text[])`,
      ids,
    );
    const rows = await this.query<MembershipRaw>(
      `SELECT m.team_id AS "teamId", m.user_id AS "userId", m.spend, m.budget_reset_at AS "resetAt",
         b.budget_id IS NOT NULL AS "hasOwn", ${LIMITS}
       FROM team_memberships AS m LEFT JOIN budgets AS b ON b.budget_id = m.budget_id
       WHERE ($1::text[] IS NULL OR m.team_id = ANY($1::text[]))
         AND (m.budget_id IS NOT NULL OR EXISTS (SELECT 1 FROM teams AS t
           WHERE t.team_id = m.team_id AND t.metadata ? 'team_member_budget_id'))`,
      ids,
    );
    const fallback = new Map(fallbacks.map((f) => [f.teamId, limits(f)]));
    const own = new Map<string, Map<string, MemberLimits>>();
    const spend = new Map<string, Map<string, PeriodSpend>>();
    for (const r of rows) {
      if (r.hasOwn) mapOf(own, r.teamId).set(r.userId, limits(r));
      const total = Number(r.spend) + unflushed(r.teamId, r.userId);
      mapOf(spend, r.teamId).set(r.userId, new PeriodSpend(total, resetAtMsOf(r.resetAt)));
    }
    const out = new Map<string, TeamMembers>();
    for (const teamId of new Set([...fallback.keys(), ...own.keys()]))
      out.set(
        teamId,
        new TeamMembers(
          teamId,
          fallback.get(teamId) ?? null,
          own.get(teamId) ?? new Map<string, MemberLimits>(),
          spend.get(teamId) ?? new Map<string, PeriodSpend>(),
        ),
      );
    return out;
  }

  /**
   * Ends the member's period if it is over (spend to 0, the next end one duration after the previous), guarded by
   * the period end so that instances noticing together reset it once; answers the membership's total and period end.
   */
  async resetDue(teamId: string, userId: string): Promise<{ spend: number; resetAt: Date | null } | null> {
    const p = this.db.prisma;
    await p
      .$executeRawUnsafe(
        `UPDATE team_memberships AS m SET spend = 0, budget_reset_at = ${MEMBER_NEXT_PERIOD}, updated_at = now()
         WHERE m.team_id = $1 AND m.user_id = $2 AND m.budget_reset_at <= now()`,
        teamId,
        userId,
      )
      .catch(rethrowDatabaseError);
    const row = await p.teamMembership
      .findUnique({ where: { teamId_userId: { teamId, userId } }, select: { spend: true, budgetResetAt: true } })
      .catch(rethrowDatabaseError);
    return row && { spend: row.spend, resetAt: row.budgetResetAt };
  }

  private query<T>(sql: string, ids: string[] | null): Promise<T[]> {
    return this.db.prisma.$queryRawUnsafe<T[]>(sql, ids).catch(rethrowDatabaseError);
  }
}

function limits(r: MemberLimits): MemberLimits {
  const n = (x: unknown) => (x === null || x === undefined ? null : Number(x));
  return {
    maxBudget: n(r.maxBudget),
    rpmLimit: n(r.rpmLimit),
    tpmLimit: n(r.tpmLimit),
    budgetDuration: r.budgetDuration ?? null,
  };
}

function mapOf<V>(m: Map<string, Map<string, V>>, k: string): Map<string, V> {
  let v = m.get(k);
  if (!v) m.set(k, (v = new Map<string, V>()));
  return v;
}
