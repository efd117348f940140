import { Errors, type BudgetOwner } from '../../common/errors/gateway-error';
import type { Reservation } from '../../proxy/reservation';
import type { CachedKey } from '../cached-key';
import type { KeyCache } from '../key-cache.service';
import { unusableKeyError } from '../key-usable';
import { keyModelScopeId, type LimitScope } from '../limits/limiter';

/**
 * Admission against the key itself, from memory: usable (not blocked, not expired), the model among its models, its
 * max_budget of the current period and its model_max_budget for the model not spent. A period seen over is reset
 * in the background.
 */
export function checkKey(key: CachedKey, modelGroup: string, now: number, cache: KeyCache): void {
  const refused = unusableKeyError(key, now);
  if (refused !== null) throw refused;
  if (key.modelSet !== null && !key.modelSet.has(modelGroup)) {
    throw Errors.unauthorized(
      `This key is not allowed to access model=${modelGroup}. It can only access models=[${key.models.join(', ')}]`,
      'key_model_access_denied',
    );
  }
  if (key.maxBudget !== null) {
    if (key.periodOver(now)) cache.periodOver(key.token);
    const spent = key.spendAt(now);
    if (spent >= key.maxBudget) throw Errors.budgetExceeded(keyOwner(key), spent, key.maxBudget);
  }
  const modelBudget = key.extras.modelMaxBudget?.get(modelGroup);
  if (modelBudget !== undefined) {
    const spent = key.modelSpend?.get(modelGroup) ?? 0;
    if (spent >= modelBudget) throw Errors.budgetExceeded(keyOwner(key, modelGroup), spent, modelBudget);
  }
}

/**
 * Whether a call holds its worst case (`held`: undefined when calls hold none) against budgets: it has a price. Asked
 * only of a caller with a budget (working it out measures the call, once).
 */
export function reservesBudget(held: Reservation | undefined): boolean {
  return held !== undefined && held.measure().cost > 0;
}

/**
 * The key's limit scopes for a call to `modelGroup`: the key on that model (its model rpm/tpm, or its
 * model_max_budget when the call reserves against it), then the key (its rate limits, or its max_budget when the call
 * reserves against it). `held`: the call's worst case, when calls hold one (see reservesBudget).
 */
export function keyScopes(
  key: CachedKey,
  modelGroup: string,
  now: number,
  held: Reservation | undefined,
): LimitScope[] {
  const scopes: LimitScope[] = [];
  const extras = key.extras;
  const modelBudget = extras.modelMaxBudget?.get(modelGroup);
  const modelRpm = extras.modelRpm?.get(modelGroup);
  const modelTpm = extras.modelTpm?.get(modelGroup);
  const modelReserves = modelBudget !== undefined && reservesBudget(held);
  if (modelRpm !== undefined || modelTpm !== undefined || modelReserves)
    scopes.push({
      id: keyModelScopeId(key.token, modelGroup),
      label: `key on model ${modelGroup}`,
      rpm: modelRpm ?? null,
      tpm: modelTpm ?? null,
      parallel: null,
      budget: modelReserves ? modelBudget : null,
      spent: key.modelSpend?.get(modelGroup) ?? 0,
      period: 0,
      owner: keyOwner(key, modelGroup),
    });
  const keyReserves = key.maxBudget !== null && reservesBudget(held);
  if (key.hasRateLimits || keyReserves)
    scopes.push({
      id: key.scopeId,
      label: 'key',
      rpm: key.rpmLimit,
      tpm: key.tpmLimit,
      parallel: key.maxParallelRequests,
      budget: keyReserves ? key.maxBudget : null,
      spent: key.spendAt(now),
      period: key.periodAt(now),
      owner: (key.budgetOwner ??= keyOwner(key)),
      slot: key.limitSlot,
    });
  return scopes;
}

/** The key as LiteLLM names it in a budget refusal: its alias and masked name (never the key). */
function keyOwner(key: CachedKey, modelGroup?: string): BudgetOwner {
  if (modelGroup !== undefined) return { kind: 'key_model', name: key.keyName, alias: key.keyAlias, model: modelGroup };
  return { kind: 'key', name: key.keyAlias ? `${key.keyAlias} (${key.keyName})` : key.keyName };
}
