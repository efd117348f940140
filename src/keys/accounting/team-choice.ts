import type { Caller } from '../../auth/caller';
import type { AccessObjects } from '../access/access-objects.service';
import type { JwtTeams } from '../access/jwt-teams';

/**
 * A JWT caller's team; with a list of teams and none picked by header, the first whose models allow the model. A
 * listed team that is not stored is picked only if it may be created again (team_id_upsert). With team-based model
 * access enforced, a team allows only the models it lists (one listing none, or created now, allows none).
 */
export function pickTeam(
  caller: Caller,
  modelGroup: string,
  objects: AccessObjects,
  jwtTeams: JwtTeams,
  listedOnly: boolean,
): string | undefined {
  const ids = caller.teamIds;
  if (!ids || ids.length < 2 || caller.teamPinned) return caller.teamId;
  for (const id of ids) {
    const t = objects.get('team', id);
    if (!t && !jwtTeams.upserts && objects.ready) continue;
    if (listedOnly ? t?.lists(modelGroup) : !t || t.modelSet === null || t.modelSet.has(modelGroup)) return id;
  }
  return caller.teamId;
}
