import type { Prisma, VirtualKey } from '../generated/prisma/client';

/** A stored virtual key, as Prisma reads it; the other shapes of a key (key-record, key-view) derive from it. */
export type KeyRow = VirtualKey;

/**
 * Columns a management change may set (plain values, valid for both create and update), typed from the row; the
 * spend columns are the spend writer's.
 * `blockedBy`: the role of whoever blocked the key (null: not blocked); see key-scope.ts. `extra`: LiteLLM fields to
 * set in the row's `extra` (a null value removes one); the others stored there are kept.
 */
export type KeyChanges = Partial<
  Omit<
    KeyRow,
    | 'spend'
    | 'modelSpend'
    | 'metadata'
    | 'extra'
    | 'createdBy'
    | 'updatedBy'
    | 'softBudgetAlertedAt'
    | 'createdAt'
    | 'updatedAt'
  >
> & {
  metadata?: Prisma.InputJsonValue;
  extra?: Record<string, unknown>;
};

export type NewKey = KeyChanges & { token: string; keyName: string; createdBy: string };

/** The rows a caller may manage (key-scope.ts): empty for every row. */
export type KeyScopeWhere = Prisma.VirtualKeyWhereInput;

export interface KeyFilter {
  teamId?: string;
  userId?: string;
  keyAlias?: string;
  /** The key's token (LiteLLM's key_hash). */
  token?: string;
  /** LiteLLM fields kept in `extra` (organization_id, project_id, agent_id): equal to the value given. */
  extra?: Readonly<Record<string, string>>;
  /** An id the key's `access_group_ids` (kept in `extra`) holds. */
  accessGroupId?: string;
  /** A column to order by, and the direction; else oldest first. */
  sortBy?: KeySortColumn;
  sortOrder?: 'asc' | 'desc';
}

/** The columns /key/list sorts by (LiteLLM's sort_by names). */
export const KEY_SORT_COLUMNS = {
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  spend: 'spend',
  max_budget: 'maxBudget',
  user_id: 'userId',
  team_id: 'teamId',
  key_alias: 'keyAlias',
  key_name: 'keyName',
  expires: 'expires',
  token: 'token',
} as const;
export type KeySortColumn = (typeof KEY_SORT_COLUMNS)[keyof typeof KEY_SORT_COLUMNS];
