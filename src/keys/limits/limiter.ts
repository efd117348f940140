import { Errors, type BudgetOwner, type GatewayError } from '../../common/errors/gateway-error';

/** A key's limit scope id. */
export function keyScopeId(token: string): string {
  return `k:${token}`;
}

/** The limit scope id of a key on one model group. */
export function keyModelScopeId(token: string, group: string): string {
  return `km:${token}:${group}`;
}

/**
 * One thing limits apply to: a key (`k:<token>`), a key on one model (`km:<token>:<group>`), a team, user or end
 * user. A null limit is not enforced.
 */
export interface LimitScope {
  readonly id: string;
  /** For messages: "key" or "team". */
  readonly label: string;
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly parallel: number | null;
  /** Its max_budget (model_max_budget for a key on one model), when calls reserve against it; else null. */
  readonly budget?: number | null;
  /** Its spend in the current budget period, as this instance knows it. */
  readonly spent?: number;
  /** End of its budget period (ms; 0: no period): shared spend counts per period. */
  readonly period?: number;
  /** For budget messages, as LiteLLM names it: "Key=sk-...abcd", "Team=t1", "Key=sk-...abcd on model m". */
  readonly owner?: BudgetOwner;
  /** Held by the scope's owner across calls: where the limiter keeps what it found for this scope id. */
  readonly slot?: LimitSlot;
}

/**
 * A place on a key, team, user or end user where the in-process limiter keeps its state for the owner's scope, so a
 * call finds it without a lookup by id in a map of every scope (one per scope per call).
 */
export interface LimitSlot {
  limitState: object | undefined;
}

/** A granted admission; `release` must be called once with the tokens and the cost the call really had. */
export interface LimitTicket {
  release(tokens: number, cost?: number): void;
}

/** Nest token for the limiter: in-process, or Redis-backed when REDIS_URL is set (several instances share limits). */
export const LIMITER = Symbol('LIMITER');

export interface Limiter {
  /**
   * Grants the call or throws (429 with retry-after, or 400 budget_exceeded). `tokens` and `cost` are the call's
   * worst case: reserved against every tpm limit and budget of its scopes until the release settles them to the
   * real usage. Sync when no network is involved. `nowMs`: the call's instant as its caller read it, when it did (a
   * limiter counting on this process' clock then need not read it again).
   */
  acquire(
    scopes: readonly LimitScope[],
    tokens?: number,
    cost?: number,
    nowMs?: number,
  ): LimitTicket | Promise<LimitTicket>;
  /**
   * Scopes whose owner was deleted: their shared counts and reservations go, so an object created again with the same
   * id does not inherit them.
   */
  forget?(scopeIds: readonly string[]): void;
}

export type LimitKind = 'rpm' | 'tpm' | 'parallel';

export function limitError(scope: LimitScope, kind: LimitKind, retryAfterMs: number): GatewayError {
  const retrySec = Math.max(1, Math.ceil(retryAfterMs / 1000));
  if (kind === 'parallel') {
    return Errors.rateLimited(
      `Max parallel request limit reached for this ${scope.label}: max_parallel_requests is ${scope.parallel}`,
      retrySec,
      'parallel_request_limit_exceeded',
    );
  }
  const what =
    kind === 'rpm' ? `${scope.rpm} requests per minute (rpm_limit)` : `${scope.tpm} tokens per minute (tpm_limit)`;
  return Errors.rateLimited(`Rate limit reached for this ${scope.label}: ${what}; retry after ${retrySec} s`, retrySec);
}

/** The budget refusal, as admission's own, plus what calls in flight hold. */
export function budgetError(scope: LimitScope, spent: number, reserved: number): GatewayError {
  const held = reserved > 0 ? `; calls in flight hold ${round(reserved)} more` : '';
  return Errors.budgetExceeded(scope.owner ?? { kind: 'key', name: scope.label }, spent, scope.budget ?? 0, held);
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
