import { GatewayError, Errors } from '../../common/errors/gateway-error';
import type { AttemptFailure } from '../upstream/upstream-failure';
import type { ModelGroup } from './model-group';

export interface FailedAttempt {
  readonly deployment: string;
  readonly failure: AttemptFailure;
}

/**
 * The answer when no deployment of a group (nor of its fallbacks) served the call. Names deployments by id and
 * failures in plain words; never an address or a key.
 *  - nothing tried, all cooling down: 502 with retry-after; nothing tried, rpm/tpm reached: 429 with retry-after;
 *  - every attempt rate limited upstream: 429; every attempt timed out: 504; otherwise 502.
 */
export function exhaustedError(
  chain: readonly ModelGroup[],
  failed: readonly FailedAttempt[],
  now: number,
): GatewayError {
  const groups = chain.map((g) => `'${g.name}'`).join(', then ');
  if (failed.length === 0) {
    const all = chain.flatMap((g) => g.deployments);
    const cooling = all.filter((d) => !d.health.available(now));
    if (cooling.length === all.length) {
      const wait = Math.min(...cooling.map((d) => d.health.cooldownLeftMs(now))) / 1000;
      const err = Errors.badGateway(
        `No deployment available for model ${groups}: all are cooling down after repeated failures; retry in ${Math.ceil(wait)} s`,
        'no_deployments_available',
      );
      return withRetryAfter(err, wait);
    }
    const wait = Math.min(...all.filter((d) => d.health.available(now)).map((d) => d.usage.resetInMs(now))) / 1000;
    return Errors.rateLimited(
      `No deployment of model ${groups} has rpm/tpm capacity left this minute`,
      wait,
      'deployment_rate_limited',
    );
  }
  const summary = failed.map((f) => `${f.deployment}: ${f.failure.reason}`).join('; ');
  const what = `${failed.length} attempt${failed.length === 1 ? '' : 's'} for model ${groups} failed (${summary})`;
  if (failed.every((f) => f.failure.status === 429)) {
    const wait = Math.max(1, ...failed.map((f) => f.failure.retryAfterSec ?? 1));
    return Errors.rateLimited(`Upstream rate limit: ${what}`, wait, 'upstream_rate_limited');
  }
  if (failed.every((f) => f.failure.kind === 'timeout')) return Errors.gatewayTimeout(`Upstream timed out: ${what}`);
  return Errors.badGateway(`Upstream unavailable: ${what}`);
}

function withRetryAfter(err: GatewayError, seconds: number): GatewayError {
  return new GatewayError(err.status, err.code, err.message, {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(seconds))) },
  });
}
