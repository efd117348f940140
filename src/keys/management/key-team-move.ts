import type { KeyScopeWhere, KeysRepository } from '../keys.repository';
import { mayMove, scopeWhere, type KeyScope } from '../key-scope';
import { toToken } from '../secrets/key-secret';
import { notFound } from './key-errors';

/**
 * The rows a `/key/update` naming `team_id` may write. With a scope, a key that changes team must have no more than
 * the caller has (mayMove), and still be so when written (same models, routes and team as read here).
 */
export async function teamMoveWhere(
  repo: KeysRepository,
  scope: KeyScope | null,
  keyRef: string,
  team: string | null,
): Promise<KeyScopeWhere> {
  const where = scopeWhere(scope);
  if (!scope) return where;
  const token = toToken(keyRef);
  const [current] = token ? await repo.findByTokens([token], where) : [];
  if (!current) throw notFound(keyRef);
  if (current.teamId === team) return where;
  mayMove(scope, current);
  return {
    AND: [
      where,
      { models: { equals: current.models }, allowedRoutes: { equals: current.allowedRoutes }, teamId: current.teamId },
    ],
  };
}
