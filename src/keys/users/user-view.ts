import { limitView } from '../access/limit-fields';
import type { UserRow } from './users.repository';

/** A user in LiteLLM's field names (LiteLLM_UserTable), with the stored-as-sent fields merged in. */
export function toUserView(row: UserRow, unflushedSpend = 0): Record<string, unknown> {
  return {
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
