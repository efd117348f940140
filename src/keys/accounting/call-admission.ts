import type { Admission, CallReport } from '../../proxy/call-accounting';
import type { AccessObjects } from '../access/access-objects.service';
import type { MemberCall } from '../access/admission-checks';
import type { LimitedObject } from '../access/limited-object';
import { memberKey } from '../access/team-members';
import type { CachedKey } from '../cached-key';
import type { KeyCache } from '../key-cache.service';
import type { LimitTicket } from '../limits/limiter';
import type { SpendWriter } from '../spend/spend-writer.service';

/**
 * Whom a call is charged to: its key, team, user and end user (each when it has one), and the objects admission
 * found for them (undefined: not held then), whose spend `done` raises without looking them up again.
 */
export interface CallOwners {
  readonly key: CachedKey | null;
  readonly teamId: string | null;
  readonly userId: string | null;
  readonly endUserId: string | null;
  readonly team: LimitedObject | undefined;
  readonly user: LimitedObject | undefined;
  readonly end: LimitedObject | undefined;
  /** The user's member budget in the team (null: none; its spend there is counted all the same). */
  readonly member: MemberCall | null;
}

/**
 * One admitted call: `done` frees its limit slot, counts its tokens and records its cost, exactly once. It is its
 * own `owners` (the team and end user its spend log row names).
 */
export class CallAdmission implements Admission {
  private finished = false;
  readonly token: string | null;
  readonly teamId: string | null;
  readonly userId: string | null;
  readonly endUserId: string | null;
  /** The key's models and tags (null: none, or no key). */
  readonly models: ReadonlySet<string> | null;
  readonly tags: readonly string[] | null;
  /** The virtual key of the call, as cached (its spend and budget go out in the answer headers). */
  readonly key: CachedKey | null;
  private readonly team: LimitedObject | undefined;
  private readonly user: LimitedObject | undefined;
  private readonly end: LimitedObject | undefined;
  private readonly member: MemberCall | null;
  /** The key has a model_max_budget for this model group: its spend is also counted per model group. */
  private readonly perModelSpend: boolean;

  constructor(
    private readonly cache: KeyCache,
    private readonly objects: AccessObjects,
    private readonly spend: SpendWriter,
    owners: CallOwners,
    private readonly ticket: LimitTicket | null,
    modelGroup: string,
  ) {
    const key = owners.key;
    this.key = key;
    this.token = key !== null ? key.token : null;
    this.teamId = owners.teamId;
    this.userId = owners.userId;
    this.endUserId = owners.endUserId;
    this.team = owners.team;
    this.user = owners.user;
    this.end = owners.end;
    this.member = owners.member;
    this.models = key !== null ? key.modelSet : null;
    this.tags = key !== null ? key.extras.tags : null;
    this.perModelSpend = key !== null && (key.extras.modelMaxBudget?.has(modelGroup) ?? false);
  }

  get owners(): this {
    return this;
  }

  done(report: CallReport | null): void {
    if (this.finished) return;
    this.finished = true;
    const tokens = report ? report.promptTokens + report.completionTokens : 0;
    const cost = report?.cost ?? 0;
    this.ticket?.release(tokens, cost);
    if (!(cost > 0)) return;
    const { token, teamId, userId, endUserId } = this;
    // The key as cached now (a copy read again during the call replaced the one admitted), taken before the cost is
    // recorded: a copy parsed now counts what was recorded and not yet written, and must not count this cost twice.
    const key = token ? this.cache.get(token) : undefined;
    this.spend.add(token, teamId, cost, userId, endUserId);
    if (this.perModelSpend && token && report) this.spend.addModel(token, report.modelGroup, cost);
    if (key) {
      key.spend += cost;
      const m = key.modelSpend;
      if (m && report && m.has(report.modelGroup)) m.set(report.modelGroup, m.get(report.modelGroup)! + cost);
    }
    const objects = this.objects;
    if (teamId !== null) objects.recordOn(this.team, 'team', teamId, cost);
    if (userId !== null) objects.recordOn(this.user, 'user', userId, cost);
    if (endUserId !== null) objects.recordOn(this.end, 'end_user', endUserId, cost);
    // LiteLLM's LiteLLM_TeamMembership.spend: a user's spend in a team counts whether or not it has a budget there
    // (batched with the other totals; a key holds its membership's id, so a key call builds none).
    if (teamId !== null && userId !== null) {
      this.spend.addMemberKey(key?.memberKey ?? memberKey(teamId, userId), cost);
      if (this.member !== null) objects.members.record(teamId, userId, cost);
    }
  }
}
