import { Errors, type GatewayError } from '../common/errors/gateway-error';
import type { KeyRow } from './keys.repository';

type UsableFields = Pick<KeyRow, 'blocked' | 'expires'>;

/**
 * Whether a key may make calls at `nowMs` (default: now, read only for a key that expires): neither blocked nor past
 * its expiry. The one place this is decided.
 */
export function isUsable(key: UsableFields, nowMs?: number): boolean {
  return !key.blocked && (key.expires === null || key.expires.getTime() > (nowMs ?? Date.now()));
}

/** Why a key may not make calls at `nowMs` (401, the same answer wherever it is asked), or null when it may. */
export function unusableKeyError(key: UsableFields, nowMs?: number): GatewayError | null {
  if (isUsable(key, nowMs)) return null;
  if (key.blocked) return Errors.unauthorized('This virtual key is blocked', 'key_blocked');
  return Errors.unauthorized(`This virtual key expired at ${key.expires?.toISOString() ?? ''}`, 'key_expired');
}
