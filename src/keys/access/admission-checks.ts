import { Errors } from '../../common/errors/gateway-error';
import type { LimitScope } from '../limits/limiter';
import type { AccessObjects } from './access-objects.service';
import type { LimitedObject } from './limited-object';
import { KIND_LABEL } from './object-kind';

/**
 * Admission against one team, user or end user, from memory: blocked (401), model not among its models (401),
 * budget of the current period spent (400 budget_exceeded). A period seen over is reset in the background, and its
 * spend counts as 0 meanwhile.
 */
export function checkObject(o: LimitedObject, modelGroup: string, nowMs: number, objects: AccessObjects): void {
  const label = KIND_LABEL[o.kind];
  if (o.blocked)
    throw Errors.unauthorized(`This ${label} (${o.id}) is blocked; an admin can unblock it`, `${o.kind}_blocked`);
  if (o.modelSet !== null && !o.modelSet.has(modelGroup)) {
    throw Errors.unauthorized(
      `This ${label} (${o.id}) is not allowed to access model=${modelGroup}. It can only access models=[${o.models.join(', ')}]`,
      `${o.kind}_model_access_denied`,
    );
  }
  if (o.maxBudget !== null) {
    if (o.resetAtMs <= nowMs) objects.periodOver(o.kind, o.id);
    const spent = o.spendAt(nowMs);
    if (spent >= o.maxBudget)
      throw Errors.budgetExceeded(
        `Budget has been exceeded for ${label} ${o.id}: current spend ${Math.round(spent * 1e6) / 1e6}, max_budget ${o.maxBudget}`,
      );
  }
}

/** The object's rate-limit scope (shared by every key and caller of it, and through Redis by every instance). */
export function objectScope(o: LimitedObject): LimitScope {
  return {
    id: o.scopeId,
    label: KIND_LABEL[o.kind],
    rpm: o.rpmLimit,
    tpm: o.tpmLimit,
    parallel: o.maxParallelRequests,
  };
}
