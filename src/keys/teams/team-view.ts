import { limitView } from '../access/limit-fields';
import type { TeamRow } from './teams.repository';

/** A team in LiteLLM's field names (LiteLLM_TeamTable), with the stored-as-sent fields merged in. */
export function toTeamView(row: TeamRow, unflushedSpend = 0): Record<string, unknown> {
  return {
    ...((row.extra ?? {}) as Record<string, unknown>),
    team_id: row.teamId,
    team_alias: row.teamAlias,
    organization_id: row.organizationId,
    admins: row.admins,
    members: row.members,
    members_with_roles: row.membersWithRoles,
    metadata: row.metadata,
    ...limitView(row, row.spend + unflushedSpend),
    created_by: row.createdBy,
    updated_by: row.updatedBy,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
