import { limitView } from '../access/limit-fields';
import type { TeamRow } from './teams.repository';

/** LiteLLM_TeamTable fields the gateway does not keep: answered (null) so the answer has every field LiteLLM's has. */
const LITELLM_ONLY = {
  team_member_permissions: null,
  router_settings: null,
  access_group_ids: null,
  model_id: null,
  litellm_model_table: null,
  object_permission: null,
  object_permission_id: null,
};

/** A team in LiteLLM's field names (LiteLLM_TeamTable), with the stored-as-sent fields merged in. */
export function toTeamView(row: TeamRow, unflushedSpend = 0): Record<string, unknown> {
  return {
    ...LITELLM_ONLY,
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
