import type { Actor } from './actor';
import { keyFields, type KeyFields } from './dto/key-fields';
import { extraFields } from './dto/litellm-key-fields';
import type { KeyChanges } from './keys.repository';
import { firstResetAt } from './budget/budget-period';
import { expiryFrom } from '../common/time/duration';
import type { Prisma } from '../generated/prisma/client';

/** Maps the LiteLLM request fields that were given to column changes (absent fields are left alone). */
export function toKeyChanges(f: KeyFields & Record<string, unknown>, now = new Date()): KeyChanges {
  const c: KeyChanges = {};
  if (f.key_alias !== undefined) c.keyAlias = f.key_alias;
  if (f.models !== undefined) c.models = f.models;
  if (f.duration !== undefined) c.expires = expiryFrom(f.duration, now);
  if (f.max_budget !== undefined) c.maxBudget = f.max_budget;
  if (f.soft_budget !== undefined) c.softBudget = f.soft_budget;
  if (f.budget_duration !== undefined) {
    // A new duration starts a new budget period now.
    c.budgetDuration = f.budget_duration;
    c.budgetResetAt = firstResetAt(f.budget_duration, now);
  }
  if (f.budget_id !== undefined) c.budgetId = f.budget_id;
  if (f.rpm_limit !== undefined) c.rpmLimit = f.rpm_limit;
  if (f.tpm_limit !== undefined) c.tpmLimit = f.tpm_limit;
  if (f.max_parallel_requests !== undefined) c.maxParallelRequests = f.max_parallel_requests;
  if (f.metadata !== undefined) c.metadata = (f.metadata ?? {}) as Prisma.InputJsonValue;
  if (f.team_id !== undefined) c.teamId = f.team_id;
  if (f.user_id !== undefined) c.userId = f.user_id;
  if (f.allowed_routes !== undefined) c.allowedRoutes = f.allowed_routes;
  if (f.blocked !== undefined) c.blocked = f.blocked;
  const extra = extraFields(f, keyFields);
  if (extra) c.extra = extra;
  return c;
}

const FIELD_NAMES = [
  'key_alias',
  'models',
  'duration',
  'max_budget',
  'soft_budget',
  'budget_duration',
  'budget_id',
  'rpm_limit',
  'tpm_limit',
  'max_parallel_requests',
  'metadata',
  'team_id',
  'user_id',
  'allowed_routes',
  'blocked',
] as const;

/** What the audit row says was set: the request's key fields, never a secret (`key` / `new_key` are not among them). */
export function auditedFields(f: KeyFields & Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of FIELD_NAMES) if (f[name] !== undefined) out[name] = f[name];
  return { ...extraFields(f, keyFields), ...out };
}

/** A change that blocks a key records who did (an admin's block binds callers that are not admins); unblocking clears it. */
export function recordBlocker(changes: KeyChanges, actor: Actor): KeyChanges {
  return changes.blocked === undefined ? changes : { ...changes, blockedBy: changes.blocked ? actor.role : null };
}
