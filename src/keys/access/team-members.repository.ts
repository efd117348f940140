import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../../database/database.service';
import { rethrowDatabaseError } from '../db-errors';
import { TeamMembers, type MemberLimits } from './team-members';

const LIMITS = `b.max_budget AS "maxBudget", b.rpm_limit AS "rpmLimit", b.tpm_limit AS "tpmLimit"`;

interface FallbackRow extends MemberLimits {
  teamId: string;
}
interface MembershipRaw {
  teamId: string;
  userId: string;
  spend: number;
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
      `SELECT m.team_id AS "teamId", m.user_id AS "userId", m.spend, b.budget_id IS NOT NULL AS "hasOwn", ${LIMITS}
       FROM team_memberships AS m LEFT JOIN budgets AS b ON b.budget_id = m.budget_id
       WHERE ($1::text[] IS NULL OR m.team_id = ANY($1::text[]))
         AND (m.budget_id IS NOT NULL OR EXISTS (SELECT 1 FROM teams AS t
           WHERE t.team_id = m.team_id AND t.metadata ? 'team_member_budget_id'))`,
      ids,
    );
    const fallback = new Map(fallbacks.map((f) => [f.teamId, limits(f)]));
    const own = new Map<string, Map<string, MemberLimits>>();
    const spend = new Map<string, Map<string, number>>();
    for (const r of rows) {
      if (r.hasOwn) mapOf(own, r.teamId).set(r.userId, limits(r));
      mapOf(spend, r.teamId).set(r.userId, Number(r.spend) + unflushed(r.teamId, r.userId));
    }
    const out = new Map<string, TeamMembers>();
    for (const teamId of new Set([...fallback.keys(), ...own.keys()]))
      out.set(
        teamId,
        new TeamMembers(
          teamId,
          fallback.get(teamId) ?? null,
          own.get(teamId) ?? new Map<string, MemberLimits>(),
          spend.get(teamId) ?? new Map<string, number>(),
        ),
      );
    return out;
  }

  private query<T>(sql: string, ids: string[] | null): Promise<T[]> {
    return this.db.prisma.$queryRawUnsafe<T[]>(sql, ids).catch(rethrowDatabaseError);
  }
}

function limits(r: MemberLimits): MemberLimits {
  const n = (x: unknown) => (x === null || x === undefined ? null : Number(x));
  return { maxBudget: n(r.maxBudget), rpmLimit: n(r.rpmLimit), tpmLimit: n(r.tpmLimit) };
}

function mapOf<V>(m: Map<string, Map<string, V>>, k: string): Map<string, V> {
  let v = m.get(k);
  if (!v) m.set(k, (v = new Map<string, V>()));
  return v;
}
