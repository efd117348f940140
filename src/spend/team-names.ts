import type { DatabaseService } from '../database/database.service';

/** The aliases of these teams, by id; a team without an alias (or not stored) is left out. */
export async function teamAliases(db: DatabaseService, ids: readonly (string | null)[]): Promise<Map<string, string>> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  const aliases = new Map<string, string>();
  if (wanted.length === 0) return aliases;
  const found = await db.query<{ team_id: string; team_alias: string | null }>(
    'SELECT "team_id", "team_alias" FROM "teams" WHERE "team_id" = ANY($1)',
    [wanted],
  );
  for (const t of found) if (t.team_alias) aliases.set(t.team_id, t.team_alias);
  return aliases;
}
