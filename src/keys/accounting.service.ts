import { Inject, Injectable } from '@nestjs/common';
import type { Caller } from '../auth/caller';
import { Errors } from '../common/errors/gateway-error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import type { Admission, CallAccounting, CallReport } from '../proxy/call-accounting';
import type { Reservation } from '../proxy/reservation';
import { AccessObjects } from './access/access-objects.service';
import { checkObject, objectScope, periodOf } from './access/admission-checks';
import { JwtTeams } from './access/jwt-teams';
import type { LimitedObject } from './access/limited-object';
import type { CachedKey } from './cached-key';
import { KeyCache } from './key-cache.service';
import { unusableKeyError } from './key-usable';
import { LIMITER, type LimitScope, type LimitTicket, type Limiter } from './limits/limiter';
import { SpendWriter } from './spend/spend-writer.service';

const FREE: Admission = { models: null, done: () => undefined };

/**
 * Enforcement and accounting on every model call (CALL_ACCOUNTING), entirely from memory. A call passes its key,
 * its team, its user and its end user, in that order; the first that refuses answers. Rate limits of all of them go
 * to the limiter in one request (Redis only when one of them has a rate limit). The cost goes to every one of them,
 * and to the batched spend writer. Master and admin callers are limited only by the end user they name.
 */
@Injectable()
export class AccountingService implements CallAccounting {
  private readonly teamModelAccess: boolean;
  /** Calls hold their worst case against budgets and tpm limits while they run (`disable_budget_reservation` false). */
  private readonly reserve: boolean;

  constructor(
    private readonly cache: KeyCache,
    private readonly objects: AccessObjects,
    private readonly spend: SpendWriter,
    private readonly jwtTeams: JwtTeams,
    @Inject(LIMITER) private readonly limiter: Limiter,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.teamModelAccess = config.jwt.enforceTeamBasedModelAccess;
    this.reserve = config.limits.budgetReservation;
  }

  admit(caller: Caller, modelGroup: string, endUserId?: string, worst?: Reservation): Admission | Promise<Admission> {
    const endUser = endUserId ?? caller.endUserId;
    if (caller.role === 'virtual_key') {
      const key = caller.keyHash ? this.cache.get(caller.keyHash) : undefined;
      if (key) return this.admitKey(key, modelGroup, endUser, worst);
      return this.cache.findByHash(caller.keyHash ?? '').then((k) => {
        if (!k)
          throw Errors.unauthorized(
            'Invalid API key: this key does not exist (it may have been deleted or regenerated)',
          );
        return this.admitKey(k, modelGroup, endUser, worst);
      });
    }
    if (caller.role === 'team' || caller.role === 'internal_user')
      return this.admitJwt(caller, modelGroup, endUser, worst);
    if (endUser === undefined) return FREE;
    const now = Date.now();
    const e = this.objects.get('end_user', endUser);
    if (e?.enforced) checkObject(e, modelGroup, now, this.objects);
    const call = { token: null, teamId: null, userId: null, endUserId: endUser };
    const scopes: LimitScope[] = [];
    if (e) this.pushObject(scopes, e, now, worst);
    return this.withLimits(scopes, call, null, worst);
  }

  aliasOf(caller: Caller, model: string): string | undefined {
    if (caller.role !== 'virtual_key' || !caller.keyHash) return undefined;
    return this.cache.get(caller.keyHash)?.extras.aliases?.get(model);
  }

  allowedModels(caller: Caller): readonly string[] | null {
    if (caller.role === 'virtual_key' && caller.keyHash) {
      const key = this.cache.get(caller.keyHash);
      return key?.modelSet ? key.models : null;
    }
    if (caller.scopeModels) return caller.scopeModels;
    return null;
  }

  private admitKey(
    key: CachedKey,
    modelGroup: string,
    endUser: string | undefined,
    worst: Reservation | undefined,
  ): Admission | Promise<Admission> {
    const now = Date.now();
    const refused = unusableKeyError(key, now);
    if (refused !== null) throw refused;
    if (key.modelSet !== null && !key.modelSet.has(modelGroup)) {
      throw Errors.unauthorized(
        `This key is not allowed to access model=${modelGroup}. It can only access models=[${key.models.join(', ')}]`,
        'key_model_access_denied',
      );
    }
    if (key.maxBudget !== null) {
      if (key.resetAtMs <= now) this.cache.periodOver(key.token);
      const spent = key.spendAt(now);
      if (spent >= key.maxBudget)
        throw Errors.budgetExceeded(
          `Budget has been exceeded for this key: current spend ${round(spent)}, max_budget ${key.maxBudget}`,
        );
    }
    const extras = key.extras;
    const modelBudget = extras.modelMaxBudget?.get(modelGroup);
    if (modelBudget !== undefined) {
      const spent = key.modelSpend?.get(modelGroup) ?? 0;
      if (spent >= modelBudget)
        throw Errors.budgetExceeded(
          `Budget has been exceeded for this key on model ${modelGroup}: current spend ${round(spent)}, model_max_budget ${modelBudget}`,
        );
    }
    const team = key.teamId !== null ? this.objects.get('team', key.teamId) : undefined;
    const user = key.userId !== null ? this.objects.get('user', key.userId) : undefined;
    const end = endUser !== undefined ? this.objects.get('end_user', endUser) : undefined;
    if (team?.enforced) checkObject(team, modelGroup, now, this.objects);
    if (user?.enforced) checkObject(user, modelGroup, now, this.objects);
    if (end?.enforced) checkObject(end, modelGroup, now, this.objects);
    const scopes: LimitScope[] = [];
    const modelRpm = extras.modelRpm?.get(modelGroup);
    const modelTpm = extras.modelTpm?.get(modelGroup);
    const modelReserves = modelBudget !== undefined && this.reserves(worst);
    if (modelRpm !== undefined || modelTpm !== undefined || modelReserves)
      scopes.push({
        id: `km:${key.token}:${modelGroup}`,
        label: `key on model ${modelGroup}`,
        rpm: modelRpm ?? null,
        tpm: modelTpm ?? null,
        parallel: null,
        budget: modelReserves ? modelBudget : null,
        spent: key.modelSpend?.get(modelGroup) ?? 0,
        period: 0,
        owner: `this key on model ${modelGroup}`,
      });
    const keyReserves = key.maxBudget !== null && this.reserves(worst);
    if (key.hasRateLimits || keyReserves)
      scopes.push({
        id: `k:${key.token}`,
        label: 'key',
        rpm: key.rpmLimit,
        tpm: key.tpmLimit,
        parallel: key.maxParallelRequests,
        budget: keyReserves ? key.maxBudget : null,
        spent: key.spendAt(now),
        period: periodOf(key.resetAtMs, now),
        owner: 'this key',
      });
    if (team) this.pushObject(scopes, team, now, worst);
    if (user) this.pushObject(scopes, user, now, worst);
    if (end) this.pushObject(scopes, end, now, worst);
    const call = { token: key.token, teamId: key.teamId, userId: key.userId, endUserId: endUser ?? null };
    return this.withLimits(scopes, call, key.modelSet, worst, extras.tags, modelBudget !== undefined);
  }

  /** Whether this call holds a reservation against budgets: it has a price. */
  private reserves(worst: Reservation | undefined): boolean {
    return this.reserve && worst !== undefined && worst.measure().cost > 0;
  }

  /** The object's scope, when it has rate limits or a budget this call reserves against. */
  private pushObject(scopes: LimitScope[], o: LimitedObject, now: number, worst: Reservation | undefined): void {
    const reserves = o.maxBudget !== null && this.reserves(worst);
    if (o.hasRateLimits || reserves) scopes.push(objectScope(o, reserves, now));
  }

  /** A team or internal-user JWT: its scopes, its team (chosen among its teams), its user, its end user. */
  private admitJwt(
    caller: Caller,
    modelGroup: string,
    endUser: string | undefined,
    worst: Reservation | undefined,
  ): Admission | Promise<Admission> {
    if (caller.scopeModels && !caller.scopeModels.includes(modelGroup)) {
      throw Errors.forbidden(
        `This token's scopes do not grant model=${modelGroup}; they grant [${caller.scopeModels.join(', ')}]`,
        'scope_model_access_denied',
      );
    }
    const teamId = this.pickTeam(caller, modelGroup);
    const gone = teamId !== undefined ? this.jwtTeams.missing(caller, teamId) : undefined;
    if (gone) return gone.then(() => this.admitJwtTeam(caller, teamId, modelGroup, endUser, worst));
    return this.admitJwtTeam(caller, teamId, modelGroup, endUser, worst);
  }

  /** The JWT call with its team chosen (stored, unless the store was never read). */
  private admitJwtTeam(
    caller: Caller,
    teamId: string | undefined,
    modelGroup: string,
    endUser: string | undefined,
    worst: Reservation | undefined,
  ): Admission | Promise<Admission> {
    const now = Date.now();
    const team = teamId !== undefined ? this.objects.get('team', teamId) : undefined;
    if (this.teamModelAccess && !(team?.modelSet?.has(modelGroup) ?? false)) {
      throw Errors.forbidden(
        `Team-based model access is enforced: ${teamId === undefined ? 'this token has no team' : `team ${teamId}`} does not list model=${modelGroup}`,
        'team_model_access_denied',
      );
    }
    const user = caller.userId !== undefined ? this.objects.get('user', caller.userId) : undefined;
    const end = endUser !== undefined ? this.objects.get('end_user', endUser) : undefined;
    if (team?.enforced) checkObject(team, modelGroup, now, this.objects);
    if (user?.enforced) checkObject(user, modelGroup, now, this.objects);
    if (end?.enforced) checkObject(end, modelGroup, now, this.objects);
    const scopes: LimitScope[] = [];
    if (team) this.pushObject(scopes, team, now, worst);
    if (user) this.pushObject(scopes, user, now, worst);
    if (end) this.pushObject(scopes, end, now, worst);
    const call = { token: null, teamId: teamId ?? null, userId: caller.userId ?? null, endUserId: endUser ?? null };
    return this.withLimits(scopes, call, null, worst);
  }

  /**
   * The caller's team; with a list of teams and none picked by header, the first whose models allow the model. A
   * listed team that is not stored is picked only if it may be created again (team_id_upsert).
   */
  private pickTeam(caller: Caller, modelGroup: string): string | undefined {
    const ids = caller.teamIds;
    if (!ids || ids.length < 2 || caller.teamPinned) return caller.teamId;
    for (const id of ids) {
      const t = this.objects.get('team', id);
      if (!t && !this.jwtTeams.upserts && this.objects.ready) continue;
      if (!t || t.modelSet === null || t.modelSet.has(modelGroup)) return id;
    }
    return caller.teamId;
  }

  private withLimits(
    scopes: LimitScope[],
    call: CallOwners,
    models: ReadonlySet<string> | null,
    worst: Reservation | undefined,
    tags: readonly string[] | null = null,
    perModelSpend = false,
  ): Admission | Promise<Admission> {
    const make = (ticket: LimitTicket | null) =>
      new CallAdmission(this.cache, this.objects, this.spend, call, ticket, models, tags, perModelSpend);
    if (scopes.length === 0) return make(null);
    // Worked out only for a scope that reserves: a caller with only rpm or parallel limits does not pay for it.
    let tokens = 0;
    let cost = 0;
    if (this.reserve && worst !== undefined && scopes.some(reservesAgainst)) {
      const w = worst.measure();
      tokens = w.promptTokens + w.completionTokens;
      cost = w.cost;
    }
    const ticket = this.limiter.acquire(scopes, tokens, cost);
    return ticket instanceof Promise ? ticket.then(make) : make(ticket);
  }
}

/** The scope holds a call's worst case while it runs: it has a tpm limit or a budget. */
function reservesAgainst(s: LimitScope): boolean {
  return s.tpm !== null || s.budget != null;
}

/** Whom a call is charged to: its key, team, user and end user (each when it has one). */
interface CallOwners {
  readonly token: string | null;
  readonly teamId: string | null;
  readonly userId: string | null;
  readonly endUserId: string | null;
}

/** One admitted call: `done` frees its limit slot, counts its tokens and records its cost, exactly once. */
class CallAdmission implements Admission {
  private finished = false;

  constructor(
    private readonly cache: KeyCache,
    private readonly objects: AccessObjects,
    private readonly spend: SpendWriter,
    private readonly call: CallOwners,
    private readonly ticket: LimitTicket | null,
    readonly models: ReadonlySet<string> | null,
    readonly tags: readonly string[] | null,
    /** The key has a model_max_budget: its spend is also counted per model group. */
    private readonly perModelSpend: boolean,
  ) {}

  done(report: CallReport | null): void {
    if (this.finished) return;
    this.finished = true;
    const tokens = report ? report.promptTokens + report.completionTokens : 0;
    const cost = report?.cost ?? 0;
    this.ticket?.release(tokens, cost);
    if (!(cost > 0)) return;
    const c = this.call;
    this.spend.add(c.token, c.teamId, cost, c.userId, c.endUserId);
    if (this.perModelSpend && c.token && report) this.spend.addModel(c.token, report.modelGroup, cost);
    if (c.token) {
      const key = this.cache.get(c.token);
      if (key) {
        key.spend += cost;
        const m = key.modelSpend;
        if (m && report && m.has(report.modelGroup)) m.set(report.modelGroup, m.get(report.modelGroup)! + cost);
      }
    }
    if (c.teamId !== null) this.objects.record('team', c.teamId, cost);
    if (c.userId !== null) this.objects.record('user', c.userId, cost);
    if (c.endUserId !== null) this.objects.record('end_user', c.endUserId, cost);
  }
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
