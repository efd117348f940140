import type { KeyScopeWhere, KeysRepository } from '../keys.repository';
import { asRead, mayMove, scopeWhere, type KeyScope } from '../key-scope';
import { toToken } from '../secrets/key-secret';
import { notFound } from './key-errors';

/** The fields of a `/key/update` this reads: the team it moves the key to, and the models and routes it gives it. */
export interface TeamMove {
  team_id: string | null;
  models?: string[];
  allowed_routes?: string[];
}

/**
 * The rows a `/key/update` naming `team_id` may write. With a scope, a key that changes team must have, once
 * changed, no more than the caller has (mayMove), and still be so when written (same models, routes and team as
 * read here).
 */
export async function teamMoveWhere(
  repo: KeysRepository,
  scope: KeyScope | null,
  keyRef: string,
  { team_id: team, models, allowed_routes: routes }: TeamMove,
): Promise<KeyScopeWhere> {
  const where = scopeWhere(scope);
  if (!scope) return where;
  const token = toToken(keyRef);
  const [current] = token ? await repo.findByTokens([token], where) : [];
  if (!current) throw notFound(keyRef);
  if (current.teamId === team) return where;
  mayMove(scope, { models: models ?? current.models, allowedRoutes: routes ?? current.allowedRoutes });
  return asRead(where, current);
}
