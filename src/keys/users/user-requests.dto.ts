import { z } from 'zod';
import { sortBy, sortOrder } from '../dto/list-sort';
import { isStorableText, NOT_STORABLE } from '../dto/storable';
import { jsonObject, limitFields, stored, text } from '../access/limit-fields';
import { emailAddress, money } from '../dto/bounded';
import { keyFields } from '../dto/key-fields';

export const USER_ROLES = [
  'proxy_admin',
  'proxy_admin_viewer',
  'internal_user',
  'internal_user_viewer',
  'team',
  'customer',
] as const;

/** LiteLLM user fields that have no effect here: accepted, stored and answered as sent. */
export const USER_STORED_FIELDS = [
  'send_invite_email',
  'aliases',
  'config',
  'permissions',
  'model_max_budget',
  'model_rpm_limit',
  'model_tpm_limit',
  'guardrails',
  'allowed_cache_controls',
  'sso_user_id',
  'object_permission',
  'prompts',
  'organizations',
  'agent_id',
  'budget_limits',
  'budget_fallbacks',
  'mcp_rpm_limit',
  'tag_rpm_limit',
  'policies',
] as const;

/**
 * GenerateRequestBase fields that make the key /user/new creates; /user/update takes them too (LiteLLM's
 * UpdateUserRequest shares that base), where they have no effect: stored and answered as sent.
 */
export const USER_KEY_FIELDS = ['key_alias', 'duration', 'team_id'] as const;

const storedFields = Object.fromEntries(USER_STORED_FIELDS.map((f) => [f, stored.optional()])) as Record<
  (typeof USER_STORED_FIELDS)[number],
  z.ZodOptional<typeof stored>
>;

export const userId = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine(isStorableText, NOT_STORABLE);

/** A team the user joins, with its role there ("user" unless a NewUserRequestTeam says "admin"). */
const teamRef = z.union([
  text.transform((team_id) => ({ team_id, role: 'user' as const })),
  z
    .looseObject({
      team_id: text,
      user_role: z.enum(['user', 'admin'], { error: 'must be "user" or "admin"' }).optional(),
      max_budget_in_team: limitFields.max_budget,
    })
    .transform((t) => ({
      team_id: t.team_id,
      role: t.user_role ?? ('user' as const),
      max_budget_in_team: t.max_budget_in_team,
    })),
]);

const userFields = {
  ...limitFields,
  ...storedFields,
  user_email: emailAddress.nullable().optional(),
  user_alias: text.nullable().optional(),
  user_role: z
    .enum(USER_ROLES, { error: `must be one of ${USER_ROLES.join(', ')}` })
    .nullable()
    .optional(),
  // A team id, or LiteLLM's NewUserRequestTeam ({team_id, user_role, max_budget_in_team}): the teams the user joins.
  teams: z.array(teamRef).max(1000, 'must have at most 1000 entries').optional(),
  metadata: jsonObject.nullable().optional(),
  // LiteLLM's spend of the user: the starting spend on /user/new, the new spend on /user/update.
  spend: money.optional(),
  // Used only to log in to LiteLLM's own UI; never stored here.
  password: z.string().max(256).optional(),
};

/** POST /user/new: a missing user_id is generated; a key for the user is created unless auto_create_key is false. */
export const newUserSchema = z.strictObject({
  ...userFields,
  user_id: userId.optional(),
  auto_create_key: z.boolean().optional(),
  key_alias: text.nullable().optional(),
  // The duration of the key created with the user.
  duration: keyFields.duration,
  team_id: text.nullable().optional(),
});
export type NewUserRequest = z.output<typeof newUserSchema>;

/** POST /user/update: user_id (or user_email) plus the fields to change. */
export const updateUserSchema = z
  .strictObject({
    ...userFields,
    ...(Object.fromEntries(USER_KEY_FIELDS.map((f) => [f, stored.optional()])) as Record<
      (typeof USER_KEY_FIELDS)[number],
      z.ZodOptional<typeof stored>
    >),
    user_id: userId.optional(),
  })
  .refine((b) => b.user_id !== undefined || typeof b.user_email === 'string', {
    message: 'give user_id or user_email',
    path: ['user_id'],
  });
export type UpdateUserRequest = z.output<typeof updateUserSchema>;

/** POST /user/delete. */
export const deleteUsersSchema = z.strictObject({ user_ids: z.array(userId).min(1, 'give at least one').max(1000) });

/** GET /user/info. */
export const userInfoSchema = z.strictObject({ user_id: userId.optional() });

/** The columns /user/list sorts by (LiteLLM's sort_by names). */
export const USER_SORT_COLUMNS = {
  user_id: 'userId',
  user_email: 'userEmail',
  user_alias: 'userAlias',
  user_role: 'userRole',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  spend: 'spend',
  max_budget: 'maxBudget',
} as const;

/** GET /user/list. */
export const listUsersSchema = z.strictObject({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(25),
  role: z.enum(USER_ROLES).optional(),
  user_ids: z.string().max(10_000).refine(isStorableText, NOT_STORABLE).optional(),
  team: text.optional(),
  sso_user_ids: z.string().max(10_000).refine(isStorableText, NOT_STORABLE).optional(),
  user_email: text.optional(),
  sort_by: sortBy(USER_SORT_COLUMNS),
  sort_order: sortOrder('asc'),
});

export type ListUsersQuery = z.output<typeof listUsersSchema>;
