import { Inject, Injectable } from '@nestjs/common';
import type { Caller } from '../../auth/caller';
import { Errors } from '../../common/errors/gateway-error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import type { Admission, CallAccounting } from '../../proxy/call-accounting';
import type { Reservation } from '../../proxy/reservation';
import { AccessObjects } from '../access/access-objects.service';
import { checkMember, checkObject, memberCall, objectScope, type MemberCall } from '../access/admission-checks';
import { JwtTeams } from '../access/jwt-teams';
import type { LimitedObject } from '../access/limited-object';
import type { CachedKey } from '../cached-key';
import { KeyCache } from '../key-cache.service';
import { LIMITER, type LimitScope, type Limiter } from '../limits/limiter';
import { SpendWriter } from '../spend/spend-writer.service';
import { CallAdmission, type CallOwners } from './call-admission';
import { checkKey, keyScopes, reservesBudget } from './key-admission';
import { pickTeam } from './team-choice';

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
    // Any key, whatever role its user gives it: the key's own limits, team and user apply to its calls.
    if (caller.via === 'virtual_key') {
      const key = caller.token ? this.cache.get(caller.token) : undefined;
      if (key) return this.admitKey(key, modelGroup, endUser, worst);
      return this.cache.findByHash(caller.token ?? '').then((k) => {
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
    const end = this.objects.get('end_user', endUser);
    const call = {
      key: null,
      teamId: null,
      userId: null,
      endUserId: end !== undefined ? end.id : endUser,
      team: undefined,
      user: undefined,
      end,
      member: null,
    };
    const now = Date.now();
    this.checkObjects(call, modelGroup, now);
    return this.withLimits([], call, modelGroup, now, this.reserve ? worst : undefined);
  }

  aliasOf(caller: Caller, model: string): string | undefined {
    if (caller.via !== 'virtual_key' || !caller.token) return undefined;
    return this.cache.get(caller.token)?.extras.aliases?.get(model);
  }

  allowedModels(caller: Caller): readonly string[] | null {
    if (caller.via === 'virtual_key' && caller.token) {
      const key = this.cache.get(caller.token);
      if (!key) return null;
      if (key.modelSet) return key.models;
      // As LiteLLM lists them: a key without models of its own shows its team's models.
      const team = key.teamId !== null ? this.objects.get('team', key.teamId) : undefined;
      return team?.modelSet ? team.models : null;
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
    checkKey(key, modelGroup, now, this.cache);
    const team = key.teamId !== null ? this.objects.get('team', key.teamId) : undefined;
    const user = key.userId !== null ? this.objects.get('user', key.userId) : undefined;
    const end = endUser !== undefined ? this.objects.get('end_user', endUser) : undefined;
    const member = memberCall(team, key.userId);
    const call: CallOwners = {
      key,
      teamId: key.teamId,
      userId: key.userId,
      // The held end user's own id string: equal to the request's, and already hashed for every map it meets.
      endUserId: end !== undefined ? end.id : (endUser ?? null),
      team,
      user,
      end,
      member,
    };
    this.checkObjects(call, modelGroup, now);
    const held = this.reserve ? worst : undefined;
    return this.withLimits(keyScopes(key, modelGroup, now, held), call, modelGroup, now, held);
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
    const teamId = pickTeam(caller, modelGroup, this.objects, this.jwtTeams, this.teamModelAccess);
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
    if (this.teamModelAccess && !(team?.lists(modelGroup) ?? false)) {
      throw Errors.forbidden(
        `Team-based model access is enforced: ${teamId === undefined ? 'this token has no team' : `team ${teamId}`} does not list model=${modelGroup}`,
        'team_model_access_denied',
      );
    }
    const user = caller.userId !== undefined ? this.objects.get('user', caller.userId) : undefined;
    const end = endUser !== undefined ? this.objects.get('end_user', endUser) : undefined;
    const member = memberCall(team, caller.userId);
    const userId = caller.userId ?? null;
    const endUserId = end !== undefined ? end.id : (endUser ?? null);
    const call = { key: null, teamId: teamId ?? null, userId, endUserId, team, user, end, member };
    this.checkObjects(call, modelGroup, now);
    return this.withLimits([], call, modelGroup, now, this.reserve ? worst : undefined);
  }

  /** Checks the call's team, user and end user (those it has, in that order), then its member budget. */
  private checkObjects(call: CallOwners, modelGroup: string, now: number): void {
    const { team, user, end } = call;
    if (team?.enforced) checkObject(team, modelGroup, now, this.objects);
    if (user?.enforced) checkObject(user, modelGroup, now, this.objects);
    if (end?.enforced) checkObject(end, modelGroup, now, this.objects);
    if (call.member) checkMember(call.member, now, this.objects.members);
  }

  /**
   * Asks the limiter for the call's scopes: the key's own (`scopes`, worked out once the checks passed) first, then
   * its team's, user's, end user's and member's, each when it has rate limits or a budget this call reserves against.
   * `held`: the call's worst case, when calls hold one against budgets and tpm limits.
   */
  private withLimits(
    scopes: LimitScope[],
    call: CallOwners,
    modelGroup: string,
    now: number,
    held: Reservation | undefined,
  ): Admission | Promise<Admission> {
    const { team, user, end, member } = call;
    if (team !== undefined) pushObject(scopes, team, now, held);
    if (user !== undefined) pushObject(scopes, user, now, held);
    if (end !== undefined) pushObject(scopes, end, now, held);
    if (member !== null) pushMember(scopes, member, now, held);
    if (scopes.length === 0) return new CallAdmission(this.cache, this.objects, this.spend, call, null, modelGroup);
    // Worked out only for a scope that reserves: a caller with only rpm or parallel limits does not pay for it.
    let tokens = 0;
    let cost = 0;
    if (held !== undefined && anyReserves(scopes)) {
      const w = held.measure();
      tokens = w.promptTokens + w.completionTokens;
      cost = w.cost;
    }
    const ticket = this.limiter.acquire(scopes, tokens, cost, now);
    if (!(ticket instanceof Promise))
      return new CallAdmission(this.cache, this.objects, this.spend, call, ticket, modelGroup);
    return ticket.then((t) => new CallAdmission(this.cache, this.objects, this.spend, call, t, modelGroup));
  }
}

/** The object's scope, when it has rate limits or a budget this call reserves against. */
function pushObject(scopes: LimitScope[], o: LimitedObject, now: number, held: Reservation | undefined): void {
  const reserves = o.maxBudget !== null && reservesBudget(held);
  if (o.hasRateLimits || reserves) scopes.push(objectScope(o, reserves, now));
}

/** The member's scope, when it has rate limits or a budget this call reserves against. */
function pushMember(scopes: LimitScope[], m: MemberCall, now: number, held: Reservation | undefined): void {
  const reserves = m.limits.maxBudget !== null && reservesBudget(held);
  if (m.limits.rpmLimit !== null || m.limits.tpmLimit !== null || reserves)
    scopes.push(m.members.scope(m.userId, m.limits, reserves, now));
}

/** Some scope holds a call's worst case while it runs: it has a tpm limit or a budget. */
function anyReserves(scopes: readonly LimitScope[]): boolean {
  for (let i = 0; i < scopes.length; i++) if (scopes[i].tpm !== null || scopes[i].budget != null) return true;
  return false;
}
