import { Errors } from '../../common/errors/gateway-error';
import type { KeyScopeWhere, KeysRepository } from '../keys.repository';
import { adminBlocked, asRead, blockWhere, isAdminBlocked, mayTakeOver, scopeWhere, type KeyScope } from '../key-scope';
import { hashSecret, newSecret, toToken } from '../secrets/key-secret';
import { notFound } from './key-errors';

/** A /key/regenerate's key (`ref` as given, `oldToken` its hash) and the new secret with its hash. */
export interface Rotation {
  readonly ref: string;
  readonly oldToken: string;
  readonly secret: string;
  readonly token: string;
}

/** The key named in the path or the body (the same one when both), and its new secret (`new_key`, else made). */
export function rotationOf(
  pathKey: string | undefined,
  bodyKey: string | undefined,
  newKey: string | undefined,
): Rotation {
  if (pathKey !== undefined && bodyKey !== undefined && toToken(pathKey) !== toToken(bodyKey)) {
    throw Errors.badRequest('The key in the path and the key in the body differ', 'key');
  }
  const ref = pathKey ?? bodyKey;
  if (ref === undefined)
    throw Errors.badRequest('Give the key to regenerate: {"key": "<key or token>"}', 'key', 'missing_key');
  const oldToken = toToken(ref);
  if (!oldToken) throw notFound(ref);
  const secret = newKey ?? newSecret();
  const token = hashSecret(secret);
  // Same secret: nothing would rotate, and the row's change would look like a rename onto itself to other instances.
  if (token === oldToken)
    throw Errors.badRequest('new_key must differ from the key being regenerated', 'new_key', 'same_key');
  return { ref, oldToken, secret, token };
}

/**
 * The rows the rotation may write. The caller gets the new secret: with a scope, the key must be one it could have
 * made itself, and still be so when written (same models, routes and team as read here).
 */
export async function rotationWhere(
  repo: KeysRepository,
  scope: KeyScope | null,
  { ref, oldToken }: Rotation,
  blocked: boolean | undefined,
): Promise<KeyScopeWhere> {
  const where = scopeWhere(scope);
  if (!scope) return where;
  const [current] = await repo.findByTokens([oldToken], where);
  if (!current) throw notFound(ref);
  mayTakeOver(scope, current);
  if (blocked !== undefined && isAdminBlocked(current)) throw adminBlocked();
  return blockWhere(scope, blocked, asRead(where, current));
}
