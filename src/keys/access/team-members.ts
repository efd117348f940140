import type { BudgetOwner } from '../../common/errors/gateway-error';
import { PeriodSpend } from '../budget/period-spend';
import type { LimitScope } from '../limits/limiter';

/** The limits of a user within one team: its budget's max_budget, rpm_limit and tpm_limit (null: none). */
export interface MemberLimits {
  readonly maxBudget: number | null;
  readonly rpmLimit: number | null;
  readonly tpmLimit: number | null;
  /** Its budget's period (the member's periods follow it): the next period's end is known before the database says. */
  readonly budgetDuration?: string | null;
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
 * limits, the team's team_member_budget for the others, and each member's spend in the team in its budget period. A
 * member's own budget wins over the team's (LiteLLM: the membership's budget, else the team-level default).
 */
export class TeamMembers {
  /** Users whose spend was recorded here before any database total told their period: the first total replaces it. */
  private readonly unsettled = new Set<string>();

  constructor(
    readonly teamId: string,
    readonly fallback: MemberLimits | null,
    private readonly own: ReadonlyMap<string, MemberLimits>,
    /** Spend per user in this team and period: the database total plus what this instance recorded since. */
    private readonly spend: Map<string, PeriodSpend>,
  ) {}

  limitsOf(userId: string): MemberLimits | null {
    return this.own.get(userId) ?? this.fallback;
  }

  /** The user's spend in the team in the period running at `nowMs` (0 once its period is over). */
  spendOf(userId: string, nowMs = Date.now()): number {
    return this.spend.get(userId)?.spendAt(nowMs) ?? 0;
  }

  /** Whether the user's period in the team has ended by `nowMs` (its reset is due). */
  periodOver(userId: string, nowMs: number): boolean {
    return this.spend.get(userId)?.periodOver(nowMs) ?? false;
  }

  /** A call's cost, counted at once (written by the spend writer). */
  record(userId: string, cost: number): void {
    const p = this.spend.get(userId);
    if (p) p.spend += cost;
    else {
      this.spend.set(userId, new PeriodSpend(cost, Infinity));
      this.unsettled.add(userId);
    }
  }

  /** A database total (ours or another instance's), with the end of its period (Infinity: none). */
  adopt(userId: string, total: number, resetAtMs: number, unflushed: number): void {
    const p = this.spend.get(userId);
    if (p && !this.unsettled.delete(userId)) p.adopt(total, resetAtMs, unflushed);
    else this.spend.set(userId, new PeriodSpend(total + unflushed, resetAtMs));
  }

  /** The users this team holds anything for (their limit scopes go when the team does). */
  users(): string[] {
    return [...new Set([...this.own.keys(), ...this.spend.keys()])];
  }

  owner(userId: string): BudgetOwner {
    return { kind: 'team_member', teamId: this.teamId, userId };
  }

  /** The member's limit scope (shared by its keys and JWT calls in this team, and through Redis by every instance). */
  scope(userId: string, limits: MemberLimits, reserves: boolean, nowMs: number): LimitScope {
    const p = this.spend.get(userId);
    return {
      id: memberScopeId(this.teamId, userId),
      label: 'team member',
      rpm: limits.rpmLimit,
      tpm: limits.tpmLimit,
      parallel: null,
      budget: reserves ? limits.maxBudget : null,
      spent: p?.spendAt(nowMs) ?? 0,
      period: p?.periodAt(nowMs, limits.budgetDuration ?? null) ?? 0,
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
