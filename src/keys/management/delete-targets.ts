import { Errors } from '../../common/errors/gateway-error';
import type { DeleteKeysRequest } from '../dto/key-requests.dto';
import type { KeyRow, KeyScopeWhere, KeysRepository } from '../keys.repository';
import { describeKeyRef, toToken } from '../secrets/key-secret';

/**
 * The tokens a /key/delete names, by key or alias, within `where` (keys out of the caller's scope are not found).
 * All or nothing: a key not found, or an alias several teams' keys hold, refuses the whole request.
 */
export async function deleteTargets(
  repo: KeysRepository,
  req: DeleteKeysRequest,
  where: KeyScopeWhere,
): Promise<string[]> {
  const tokens = new Set<string>();
  const missing: string[] = [];
  const refs = req.keys ?? [];
  const byRef = refs.map((r) => [r, toToken(r)] as const);
  const known = await repo.findByTokens(
    byRef.flatMap(([, t]) => (t ? [t] : [])),
    where,
  );
  const knownSet = new Set(known.map((r) => r.token));
  for (const [ref, t] of byRef) {
    if (t && knownSet.has(t)) tokens.add(t);
    else missing.push(describeKeyRef(ref));
  }
  const aliases = req.key_aliases ?? [];
  const ambiguous: string[] = [];
  if (aliases.length > 0) {
    const rows = await repo.findByAliases(aliases, where);
    for (const a of aliases) {
      const held = rows.filter((r) => r.keyAlias === a);
      if (held.length === 0) missing.push(`alias ${a}`);
      // An alias is unique per team: one the caller sees in several teams names no single key to delete.
      else if (held.length > 1) ambiguous.push(`${JSON.stringify(a)} (teams ${held.map(teamName).join(', ')})`);
      else tokens.add(held[0].token);
    }
  }
  if (missing.length > 0)
    throw Errors.notFound(`Key not found: ${missing.join(', ')}; nothing was deleted`, 'key_not_found', 'keys');
  if (ambiguous.length > 0)
    throw Errors.badRequest(
      `key_alias ${ambiguous.join(', ')} is held by keys of several teams; delete them by "keys"; nothing was deleted`,
      'key_aliases',
      'key_alias_ambiguous',
    );
  return [...tokens];
}

function teamName(row: KeyRow): string {
  return row.teamId === null ? '(none)' : JSON.stringify(row.teamId);
}
