import type { BudgetOwner } from '../../common/errors/gateway-error';
import type { LimitScope } from '../limits/limiter';

/** The limits of a user within one team: its budget's max_budget, rpm_limit and tpm_limit (null: none). */
export interface MemberLimits {
  readonly maxBudget: number | null;
  readonly rpmLimit: number | null;
  readonly tpmLimit: number | null;
}

/** A team_memberships row as the mirror reads it, with its own budget's limits when it has one. */
export interface MembershipRow {
  readonly teamId: string;
  readonly userId: string;
  readonly spend: number;
  readonly own: MemberLimits | null;
}

/**
 * The member budgets of one team, held in memory beside the team (only teams that have any): each member's own
 * limits, the team's team_member_budget for the others, and each member's spend in the team. A member's own budget
 * wins over the team's (LiteLLM: the membership's budget, else the team-level default).
 */
export class TeamMembers {
  constructor(
    readonly teamId: string,
    readonly fallback: MemberLimits | null,
    private readonly own: ReadonlyMap<string, MemberLimits>,
    /** Spend per user in this team: the database total plus what this instance recorded since. */
    readonly spend: Map<string, number>,
  ) {}

  limitsOf(userId: string): MemberLimits | null {
    return this.own.get(userId) ?? this.fallback;
  }

  spendOf(userId: string): number {
    return this.spend.get(userId) ?? 0;
  }

  /** A database total (ours or another instance's): spend only grows, so a lower total is an older one. */
  adopt(userId: string, total: number, unflushed: number): void {
    this.spend.set(userId, Math.max(this.spendOf(userId), total + unflushed));
  }

  /** The users this team holds anything for (their limit scopes go when the team does). */
  users(): string[] {
    return [...new Set([...this.own.keys(), ...this.spend.keys()])];
  }

  owner(userId: string): BudgetOwner {
    return { kind: 'team_member', teamId: this.teamId, userId };
  }

  /** The member's limit scope (shared by its keys and JWT calls in this team, and through Redis by every instance). */
  scope(userId: string, limits: MemberLimits, reserves: boolean): LimitScope {
    return {
      id: memberScopeId(this.teamId, userId),
      label: 'team member',
      rpm: limits.rpmLimit,
      tpm: limits.tpmLimit,
      parallel: null,
      budget: reserves ? limits.maxBudget : null,
      spent: this.spendOf(userId),
      period: 0,
      owner: this.owner(userId),
    };
  }
}

export function memberScopeId(teamId: string, userId: string): string {
  return `tm:${JSON.stringify([teamId, userId])}`;
}

/** A membership's id in spend batches and messages: the team and the user, unambiguously. */
export function memberKey(teamId: string, userId: string): string {
  return JSON.stringify([teamId, userId]);
}

export function parseMemberKey(key: string): [string, string] | null {
  try {
    const v = JSON.parse(key) as unknown;
    return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string'
      ? [v[0], v[1]]
      : null;
  } catch {
    return null;
  }
}
