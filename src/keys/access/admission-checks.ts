import { Errors } from '../../common/errors/gateway-error';
import type { LimitScope } from '../limits/limiter';
import type { AccessObjects } from './access-objects.service';
import type { LimitedObject } from './limited-object';
import type { MemberMirror } from './member-mirror';
import type { MemberLimits, TeamMembers } from './team-members';

/** A call by a user through a team where that user has a member budget (own, or the team's default). */
export interface MemberCall {
  readonly members: TeamMembers;
  readonly userId: string;
  readonly limits: MemberLimits;
}

/** The call's member budget, when its team has member budgets and it has a user there (else null, at no cost). */
export function memberCall(team: LimitedObject | undefined, userId: string | null | undefined): MemberCall | null {
  const members = team?.members;
  if (!members || userId == null) return null;
  const limits = members.limitsOf(userId);
  return limits ? { members, userId, limits } : null;
}

/**
 * Admission against a member budget, from memory: the user's spend in the team in the current period reached it
 * (400 budget_exceeded). A period seen over is reset in the background, and its spend counts as 0 meanwhile.
 */
export function checkMember(m: MemberCall, nowMs: number, mirror: MemberMirror): void {
  const max = m.limits.maxBudget;
  if (max === null) return;
  if (m.members.periodOver(m.userId, nowMs)) mirror.periodOver(m.members.teamId, m.userId);
  const spent = m.members.spendOf(m.userId, nowMs);
  if (spent >= max) throw Errors.budgetExceeded(m.members.owner(m.userId), spent, max);
}

/**
 * Admission against one team, user or end user, from memory: blocked (401), model not among its models (401),
 * budget of the current period spent (400 budget_exceeded). A period seen over is reset in the background, and its
 * spend counts as 0 meanwhile.
 */
export function checkObject(o: LimitedObject, modelGroup: string, nowMs: number, objects: AccessObjects): void {
  const label = o.label;
  if (o.blocked)
    throw Errors.unauthorized(`This ${label} (${o.id}) is blocked; an admin can unblock it`, `${o.kind}_blocked`);
  if (o.modelSet !== null && !o.modelSet.has(modelGroup)) {
    throw Errors.unauthorized(
      `This ${label} (${o.id}) is not allowed to access model=${modelGroup}. It can only access models=[${o.models.join(', ')}]`,
      `${o.kind}_model_access_denied`,
    );
  }
  if (o.maxBudget !== null) {
    if (o.periodOver(nowMs)) objects.periodOver(o.kind, o.id);
    const spent = o.spendAt(nowMs);
    if (spent >= o.maxBudget) throw Errors.budgetExceeded(o.budgetOwner, spent, o.maxBudget);
  }
}

/**
 * The object's limit scope (shared by every key and caller of it, and through Redis by every instance); with its
 * budget when the call reserves against it.
 */
export function objectScope(o: LimitedObject, reserves: boolean, nowMs: number): LimitScope {
  return {
    id: o.scopeId,
    label: o.label,
    rpm: o.rpmLimit,
    tpm: o.tpmLimit,
    parallel: o.maxParallelRequests,
    budget: reserves ? o.maxBudget : null,
    spent: o.spendAt(nowMs),
    period: o.periodAt(nowMs),
    owner: o.budgetOwner,
    slot: o,
  };
}
