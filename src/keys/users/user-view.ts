import { limitView } from '../access/limit-fields';
import type { UserRow } from './users.repository';

/** LiteLLM_UserTable fields the gateway does not keep: answered so the answer has every field LiteLLM's has. */
const LITELLM_ONLY = {
  model_max_budget: {},
  model_spend: {},
  organization_memberships: null,
  sso_user_id: null,
  object_permission: null,
};

/** A user in LiteLLM's field names (LiteLLM_UserTable), with the stored-as-sent fields merged in. */
export function toUserView(row: UserRow, unflushedSpend = 0): Record<string, unknown> {
  return {
    ...LITELLM_ONLY,
    ...((row.extra ?? {}) as Record<string, unknown>),
    user_id: row.userId,
    user_email: row.userEmail,
    user_alias: row.userAlias,
    user_role: row.userRole,
    teams: row.teams,
    metadata: row.metadata,
    ...limitView(row, row.spend + unflushedSpend),
    created_by: row.createdBy,
    updated_by: row.updatedBy,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
