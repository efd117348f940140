import { Errors, type GatewayError } from '../../common/errors/gateway-error';

/** One thing limits apply to: a key (`k:<token>`) or a team (`t:<id>`). A null limit is not enforced. */
export interface LimitScope {
  readonly id: string;
  /** For messages: "key" or "team". */
  readonly label: string;
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly parallel: number | null;
}

/** A granted admission; `release` must be called once with the tokens the call used. */
export interface LimitTicket {
  release(tokens: number): void;
}

/** Nest token for the limiter: in-process, or Redis-backed when REDIS_URL is set (several instances share limits). */
export const LIMITER = Symbol('LIMITER');

export interface Limiter {
  /** Grants the call or throws a 429 GatewayError (with retry-after). Sync when no network is involved. */
  acquire(scopes: readonly LimitScope[]): LimitTicket | Promise<LimitTicket>;
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
