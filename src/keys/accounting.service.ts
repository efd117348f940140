import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { Errors } from '../common/errors/gateway-error';
import type { Admission, CallAccounting, CallReport } from '../proxy/call-accounting';
import type { CachedKey } from './cached-key';
import { KeyCache } from './key-cache.service';
import { KeysRepository } from './keys.repository';
import { LIMITER, type LimitScope, type LimitTicket, type Limiter } from './limits/limiter';
import { TEAM_LIMITS, type TeamLimits } from './team-limits';
import { SpendWriter } from './spend/spend-writer.service';

const FREE: Admission = { models: null, done: () => undefined };

/**
 * Enforcement and accounting on every model call (CALL_ACCOUNTING), entirely from memory: the key comes from the
 * cache the auth guard already warmed, limits from the limiter (Redis only when the key or team has a limit),
 * spend goes to the batched writer. Master and admin callers are not limited.
 */
@Injectable()
export class AccountingService implements CallAccounting, OnModuleInit {
  /**
   * Spend per key and model group, for keys with a `model_max_budget`: kept by this instance since its start (not
   * shared between instances, not persisted).
   */
  private readonly modelSpend = new Map<string, number>();

  constructor(
    private readonly cache: KeyCache,
    private readonly spend: SpendWriter,
    private readonly repo: KeysRepository,
    @Inject(LIMITER) private readonly limiter: Limiter,
    @Optional() @Inject(TEAM_LIMITS) private readonly teams: ReadonlyMap<string, TeamLimits> = new Map(),
  ) {}

  /** Teams with a budget: their spend so far, kept current afterwards by flushes and broadcasts. */
  async onModuleInit(): Promise<void> {
    for (const [id, limits] of this.teams) {
      if (limits.maxBudget !== null) this.cache.trackTeam(id, await this.repo.teamSpend(id));
    }
  }

  admit(caller: Caller, modelGroup: string): Admission | Promise<Admission> {
    if (caller.role === 'virtual_key') {
      const key = caller.keyHash ? this.cache.get(caller.keyHash) : undefined;
      if (key) return this.admitKey(key, modelGroup);
      return this.cache.findByHash(caller.keyHash ?? '').then((k) => {
        if (!k)
          throw Errors.unauthorized(
            'Invalid API key: this key does not exist (it may have been deleted or regenerated)',
          );
        return this.admitKey(k, modelGroup);
      });
    }
    if (caller.role === 'team' && caller.teamId) return this.admitTeam(caller.teamId);
    return FREE;
  }

  aliasOf(caller: Caller, model: string): string | undefined {
    if (caller.role !== 'virtual_key' || !caller.keyHash) return undefined;
    return this.cache.get(caller.keyHash)?.extras.aliases?.get(model);
  }

  allowedModels(caller: Caller): readonly string[] | null {
    if (caller.role !== 'virtual_key' || !caller.keyHash) return null;
    const key = this.cache.get(caller.keyHash);
    return key?.modelSet ? key.models : null;
  }

  private admitKey(key: CachedKey, modelGroup: string): Admission | Promise<Admission> {
    if (key.blocked) throw Errors.unauthorized('This key is blocked', 'key_blocked');
    if (key.expires !== null && key.expires.getTime() <= Date.now())
      throw Errors.unauthorized(`This key expired at ${key.expires.toISOString()}`, 'key_expired');
    if (key.modelSet !== null && !key.modelSet.has(modelGroup)) {
      throw Errors.unauthorized(
        `This key is not allowed to access model=${modelGroup}. It can only access models=[${key.models.join(', ')}]`,
        'key_model_access_denied',
      );
    }
    if (key.maxBudget !== null && key.spend >= key.maxBudget) {
      throw Errors.budgetExceeded(
        `Budget has been exceeded for this key: current spend ${round(key.spend)}, max_budget ${key.maxBudget}`,
      );
    }
    const extras = key.extras;
    const modelBudget = extras.modelMaxBudget?.get(modelGroup);
    if (modelBudget !== undefined) {
      const spent = this.modelSpend.get(`${key.token}\u0000${modelGroup}`) ?? 0;
      if (spent >= modelBudget)
        throw Errors.budgetExceeded(
          `Budget has been exceeded for this key on model ${modelGroup}: current spend ${round(spent)}, model_max_budget ${modelBudget}`,
        );
    }
    const team = key.teamId ? this.teams.get(key.teamId) : undefined;
    if (team) this.checkTeamBudget(key.teamId!, team);
    const scopes: LimitScope[] = [];
    const modelRpm = extras.modelRpm?.get(modelGroup);
    const modelTpm = extras.modelTpm?.get(modelGroup);
    if (modelRpm !== undefined || modelTpm !== undefined)
      scopes.push({
        id: `km:${key.token}:${modelGroup}`,
        label: `key on model ${modelGroup}`,
        rpm: modelRpm ?? null,
        tpm: modelTpm ?? null,
        parallel: null,
      });
    if (key.hasRateLimits)
      scopes.push({
        id: `k:${key.token}`,
        label: 'key',
        rpm: key.rpmLimit,
        tpm: key.tpmLimit,
        parallel: key.maxParallelRequests,
      });
    if (team?.hasRateLimits) scopes.push(teamScope(key.teamId!, team));
    return this.withLimits(scopes, key.token, key.teamId, key.modelSet, extras.tags, modelBudget !== undefined);
  }

  private admitTeam(teamId: string): Admission | Promise<Admission> {
    const team = this.teams.get(teamId);
    if (team) this.checkTeamBudget(teamId, team);
    return this.withLimits(team?.hasRateLimits ? [teamScope(teamId, team)] : [], null, teamId, null);
  }

  private checkTeamBudget(teamId: string, p: TeamLimits): void {
    const spent = this.cache.teamSpendOf(teamId) + this.spend.unflushedTeam(teamId);
    if (p.maxBudget !== null && spent >= p.maxBudget) {
      throw Errors.budgetExceeded(
        `Budget has been exceeded for team ${teamId}: current spend ${round(spent)}, max_budget ${p.maxBudget}`,
      );
    }
  }

  private withLimits(
    scopes: LimitScope[],
    token: string | null,
    teamId: string | null,
    models: ReadonlySet<string> | null,
    tags: readonly string[] | null = null,
    perModelSpend = false,
  ): Admission | Promise<Admission> {
    const spendOf = perModelSpend ? this.modelSpend : null;
    const make = (t: LimitTicket | null) =>
      new CallAdmission(this.cache, this.spend, token, teamId, t, models, tags, spendOf);
    if (scopes.length === 0) return make(null);
    const ticket = this.limiter.acquire(scopes);
    return ticket instanceof Promise ? ticket.then(make) : make(ticket);
  }
}

/** One admitted call: `done` frees its limit slot, counts its tokens and records its cost, exactly once. */
class CallAdmission implements Admission {
  private finished = false;

  constructor(
    private readonly cache: KeyCache,
    private readonly spend: SpendWriter,
    private readonly token: string | null,
    private readonly teamId: string | null,
    private readonly ticket: LimitTicket | null,
    readonly models: ReadonlySet<string> | null,
    readonly tags: readonly string[] | null,
    /** Per key and model group spend, when the key has a model_max_budget. */
    private readonly modelSpend: Map<string, number> | null,
  ) {}

  done(report: CallReport | null): void {
    if (this.finished) return;
    this.finished = true;
    const tokens = report ? report.promptTokens + report.completionTokens : 0;
    this.ticket?.release(tokens);
    const cost = report?.cost ?? 0;
    if (!(cost > 0)) return;
    this.spend.add(this.token, this.teamId, cost);
    if (this.modelSpend && this.token && report) {
      const k = `${this.token}\u0000${report.modelGroup}`;
      this.modelSpend.set(k, (this.modelSpend.get(k) ?? 0) + cost);
    }
    if (this.token) {
      const key = this.cache.get(this.token);
      if (key) key.spend += cost;
    }
  }
}

function teamScope(id: string, p: TeamLimits): LimitScope {
  return { id: `t:${id}`, label: 'team', rpm: p.rpmLimit, tpm: p.tpmLimit, parallel: p.maxParallelRequests };
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
