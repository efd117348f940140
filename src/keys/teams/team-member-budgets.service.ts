import { Injectable } from '@nestjs/common';
import type { Actor } from '../actor';
import { ObjectChanges } from '../access/object-changes.service';
import { toBudgetView } from '../budgets/budget-view';
import { SpendWriter } from '../spend/spend-writer.service';
import { MemberBudgetsRepository, type MemberBudgetFields } from './member-budgets.repository';
import type { Member } from './team-requests.dto';

type View = Record<string, unknown>;

/** The member-budget side of the /team/* routes: the team's default (team_member_*) and each member's own. */
@Injectable()
export class TeamMemberBudgets {
  constructor(
    private readonly repo: MemberBudgetsRepository,
    private readonly changes: ObjectChanges,
    private readonly spend: SpendWriter,
  ) {}

  /** /team/new, /team/update: the team_member_* fields given set the team's default member budget. */
  async teamChanged(teamId: string, f: Record<string, unknown>, actor: Actor): Promise<boolean> {
    const fields: MemberBudgetFields = {
      ...given('maxBudget', f.team_member_budget),
      ...given('budgetDuration', f.team_member_budget_duration),
      ...given('rpmLimit', f.team_member_rpm_limit),
      ...given('tpmLimit', f.team_member_tpm_limit),
    };
    if (Object.keys(fields).length === 0) return false;
    await this.repo.setTeamDefault(teamId, fields, actor);
    await this.changes.changed('team', [teamId]);
    return true;
  }

  /** /team/member_add with max_budget_in_team: each added member gets its own budget of that much in the team. */
  async membersAdded(teamId: string, members: readonly Member[], maxBudget: number | null | undefined, actor: Actor) {
    if (maxBudget == null) return [];
    const userIds = await this.userIds(members);
    await this.repo.setMembers(teamId, userIds, { maxBudget }, actor);
    await this.changes.changed('team', [teamId]);
    return (await this.memberships(teamId)).filter((m) => userIds.includes(m.user_id as string));
  }

  /** /team/member_update: the budget fields given change the member's own budget (a member named by email alone needs a stored user). */
  async memberUpdated(teamId: string, member: Member, f: MemberBudgetFields, actor: Actor): Promise<void> {
    if (Object.keys(f).length === 0) return;
    await this.repo.setMembers(teamId, await this.userIds([member]), f, actor);
    await this.changes.changed('team', [teamId]);
  }

  /** The removed members' memberships (and their budgets' hold on them) end. */
  async memberRemoved(teamId: string, userIds: readonly string[]): Promise<void> {
    await this.repo.leave(teamId, userIds);
    await this.changes.membersLeft(teamId, userIds);
  }

  /**
   * LiteLLM's team_memberships of /team/info and /team/list: each membership of these teams (`userId`: that user's
   * only) with its spend and its own budget.
   */
  async memberships(teamIds: string | readonly string[], userId?: string): Promise<View[]> {
    const now = Date.now();
    const ids = typeof teamIds === 'string' ? [teamIds] : teamIds;
    if (ids.length === 0) return [];
    return (await this.repo.memberships(ids, userId)).map((m) => ({
      team_id: m.teamId,
      user_id: m.userId,
      budget_id: m.budgetId,
      // A period that ended and was not written to since: its spend no longer counts.
      spend:
        ((m.budgetResetAt?.getTime() ?? Infinity) <= now ? 0 : m.spend) +
        this.spend.unflushedMember(m.teamId, m.userId),
      litellm_budget_table: m.budget ? toBudgetView(m.budget) : null,
    }));
  }

  /** The team's default member budget (team_info.team_member_budget_table), or null. */
  async teamDefault(metadata: unknown): Promise<View | null> {
    const id = (metadata as Record<string, unknown> | null)?.team_member_budget_id;
    if (typeof id !== 'string') return null;
    const b = await this.repo.find(id);
    return b ? toBudgetView(b) : null;
  }

  private async userIds(members: readonly Pick<Member, 'user_id' | 'user_email'>[]): Promise<string[]> {
    const ids = members.flatMap((m) => (m.user_id ? [m.user_id] : []));
    const emails = members.flatMap((m) => (!m.user_id && m.user_email ? [m.user_email] : []));
    return [...new Set([...ids, ...(await this.repo.userIdsOf(emails))])];
  }
}

function given<K extends keyof MemberBudgetFields>(k: K, v: unknown): MemberBudgetFields {
  return v === undefined ? {} : { [k]: v as MemberBudgetFields[K] };
}
