import type { Admission, CallReport } from '../../proxy/call-accounting';
import type { AccessObjects } from '../access/access-objects.service';
import type { MemberCall } from '../access/admission-checks';
import { memberKey } from '../access/team-members';
import type { CachedKey } from '../cached-key';
import type { KeyCache } from '../key-cache.service';
import type { LimitTicket, WindowCounts } from '../limits/limiter';
import type { SpendWriter } from '../spend/spend-writer.service';

/** Whom a call is charged to: its key, team, user and end user (each when it has one). */
export interface CallOwners {
  readonly token: string | null;
  readonly teamId: string | null;
  readonly userId: string | null;
  readonly endUserId: string | null;
  /** The user's member budget in the team (null: none; its spend there is counted all the same). */
  readonly member: MemberCall | null;
}

/**
 * What an admission carries from the key: its models, its tags, whether it counts spend per model group, and the
 * cached key itself (for the answer headers).
 */
export interface KeyLimits {
  readonly models: ReadonlySet<string> | null;
  readonly tags: readonly string[] | null;
  readonly perModelSpend: boolean;
  readonly key: CachedKey | null;
}

export const NO_KEY: KeyLimits = { models: null, tags: null, perModelSpend: false, key: null };

/** One admitted call: `done` frees its limit slot, counts its tokens and records its cost, exactly once. */
export class CallAdmission implements Admission {
  private finished = false;

  constructor(
    private readonly cache: KeyCache,
    private readonly objects: AccessObjects,
    private readonly spend: SpendWriter,
    readonly owners: CallOwners,
    private readonly ticket: LimitTicket | null,
    readonly models: ReadonlySet<string> | null,
    readonly tags: readonly string[] | null,
    /** The key has a model_max_budget: its spend is also counted per model group. */
    private readonly perModelSpend: boolean,
    readonly key: CachedKey | null,
  ) {}

  keyWindow(): WindowCounts | undefined {
    return this.key ? this.ticket?.seen?.(this.key.scopeId) : undefined;
  }

  done(report: CallReport | null): void {
    if (this.finished) return;
    this.finished = true;
    const tokens = report ? report.promptTokens + report.completionTokens : 0;
    const cost = report?.cost ?? 0;
    this.ticket?.release(tokens, cost);
    if (!(cost > 0)) return;
    const c = this.owners;
    this.spend.add(c.token, c.teamId, cost, c.userId, c.endUserId);
    if (this.perModelSpend && c.token && report) this.spend.addModel(c.token, report.modelGroup, cost);
    const key = c.token ? this.cache.get(c.token) : undefined;
    if (key) {
      key.spend += cost;
      const m = key.modelSpend;
      if (m && report && m.has(report.modelGroup)) m.set(report.modelGroup, m.get(report.modelGroup)! + cost);
    }
    if (c.teamId !== null) this.objects.record('team', c.teamId, cost);
    if (c.userId !== null) this.objects.record('user', c.userId, cost);
    if (c.endUserId !== null) this.objects.record('end_user', c.endUserId, cost);
    // LiteLLM's LiteLLM_TeamMembership.spend: a user's spend in a team counts whether or not it has a budget there
    // (batched with the other totals; a key holds its membership's id, so a key call builds none).
    if (c.teamId !== null && c.userId !== null) {
      this.spend.addMemberKey(key?.memberKey ?? memberKey(c.teamId, c.userId), cost);
      if (c.member !== null) this.objects.members.record(c.teamId, c.userId, cost);
    }
  }
}
