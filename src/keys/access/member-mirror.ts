import type { Logger } from 'pino';
import type { SpendTotal } from '../invalidation/key-events';
import type { SpendWriter } from '../spend/spend-writer.service';
import type { LimitedObject } from './limited-object';
import { resetAtMsOf } from '../budget/period-spend';
import { memberKey, parseMemberKey, type TeamMembers } from './team-members';
import type { TeamMembersRepository } from './team-members.repository';

/**
 * The member budgets of the held teams (only teams that have any), kept beside the teams: read with them, put on
 * each team's object (`members`) so admission finds them without a lookup, and their spend kept current as the
 * teams' is.
 */
export class MemberMirror {
  private readonly byTeam = new Map<string, TeamMembers>();
  /** Memberships whose period reset is running (memberKey). */
  private readonly resetting = new Set<string>();

  constructor(
    private readonly teams: Map<string, LimitedObject>,
    private readonly repo: TeamMembersRepository,
    private readonly spend: SpendWriter,
    private readonly log: Logger,
  ) {}

  /** What a team object just read gets. */
  of(teamId: string): TeamMembers | null {
    return this.byTeam.get(teamId) ?? null;
  }

  /** Reads the member budgets of these teams (null: of every team) again. */
  async reload(teamIds: readonly string[] | null): Promise<void> {
    if (teamIds !== null && teamIds.length === 0) return;
    let read: Map<string, TeamMembers>;
    try {
      read = await this.spend.readConsistent(() => this.repo.load(teamIds, (t, u) => this.spend.unflushedMember(t, u)));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'could not read team member budgets; the change log will');
      return;
    }
    if (teamIds === null) this.byTeam.clear();
    for (const id of teamIds ?? read.keys()) {
      const m = read.get(id);
      if (m) this.byTeam.set(id, m);
      else this.byTeam.delete(id);
    }
    for (const [id, team] of this.teams) if (teamIds === null || teamIds.includes(id)) team.members = this.of(id);
  }

  /** The member's period is over (seen by admission): reset it in the database, once, in the background. */
  periodOver(teamId: string, userId: string): void {
    const tag = memberKey(teamId, userId);
    if (this.resetting.has(tag)) return;
    this.resetting.add(tag);
    this.spend
      .readConsistent(() => this.repo.resetDue(teamId, userId))
      .then((row) => {
        if (row)
          this.byTeam
            .get(teamId)
            ?.adopt(userId, row.spend, resetAtMsOf(row.resetAt), this.spend.unflushedMember(teamId, userId));
      })
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'member budget period reset failed'))
      .finally(() => this.resetting.delete(tag));
  }

  /** A call's cost, counted at once for the member (written by the spend writer). */
  record(teamId: string, userId: string, cost: number): void {
    this.byTeam.get(teamId)?.record(userId, cost);
  }

  /** Database totals after a spend write, ours or another instance's. */
  adopt(totals: Iterable<SpendTotal>): void {
    for (const [key, total, resetAt] of totals) {
      const ids = parseMemberKey(key);
      if (ids)
        this.byTeam.get(ids[0])?.adopt(ids[1], total, resetAt ?? Infinity, this.spend.unflushedMember(ids[0], ids[1]));
    }
  }
}
