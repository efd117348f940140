import { z } from 'zod';
import { isStorableText, NOT_STORABLE } from '../dto/storable';
import { jsonObject, limitFields, names, stored, text } from '../access/limit-fields';

/** A team member as LiteLLM writes it: a role and a user id and/or email. */
export const memberSchema = z
  .strictObject({
    role: z.enum(['admin', 'user'], { error: 'must be "admin" or "user"' }).default('user'),
    user_id: text.nullable().optional(),
    user_email: text.nullable().optional(),
  })
  .refine((m) => !!m.user_id || !!m.user_email, { message: 'give user_id or user_email' });
export type Member = z.output<typeof memberSchema>;

/** The most members a team lists (members_with_roles), and so the most one member_add adds. */
export const MAX_TEAM_MEMBERS = 1000;
const members = z.array(memberSchema);

/** LiteLLM team fields that have no effect here: accepted, stored and answered as sent. */
export const TEAM_STORED_FIELDS = [
  'team_member_permissions',
  'router_settings',
  'access_group_ids',
  'model_aliases',
  'tags',
  'guardrails',
  'prompts',
  'policies',
  'object_permission',
  'team_member_budget',
  'team_member_rpm_limit',
  'team_member_tpm_limit',
  'team_member_key_duration',
  'model_rpm_limit',
  'model_tpm_limit',
  'model_max_budget',
  'rpm_limit_type',
  'tpm_limit_type',
  'allowed_vector_store_indexes',
  'allowed_passthrough_routes',
  'secret_manager_settings',
  'budget_limits',
  'default_team_member_models',
  'disable_global_guardrails',
  'default_estimated_output_tokens',
  'default_estimated_output_tokens_per_model',
  'mcp_rpm_limit',
  'team_member_budget_duration',
  'enforced_batch_output_expires_after',
  'enforced_file_expires_after',
] as const;

const storedFields = Object.fromEntries(TEAM_STORED_FIELDS.map((f) => [f, stored.optional()])) as Record<
  (typeof TEAM_STORED_FIELDS)[number],
  z.ZodOptional<typeof stored>
>;

const teamFields = {
  ...limitFields,
  ...storedFields,
  team_alias: text.nullable().optional(),
  organization_id: text.nullable().optional(),
  admins: names.optional(),
  members: names.optional(),
  members_with_roles: members.max(MAX_TEAM_MEMBERS, `must list at most ${MAX_TEAM_MEMBERS} members`).optional(),
  metadata: jsonObject.nullable().optional(),
  // The team's default member budget: they act (and are answered as sent, like the stored fields).
  team_member_budget: limitFields.max_budget,
  team_member_budget_duration: limitFields.budget_duration,
  team_member_rpm_limit: limitFields.rpm_limit,
  team_member_tpm_limit: limitFields.tpm_limit,
};

/** The team fields that make its team_member_budget. */
export const TEAM_MEMBER_BUDGET_FIELDS = [
  'team_member_budget',
  'team_member_budget_duration',
  'team_member_rpm_limit',
  'team_member_tpm_limit',
] as const;

/** A team id: what a JWT claim or a path may carry. */
export const teamId = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine(isStorableText, NOT_STORABLE);

/** POST /team/new: a missing team_id is generated. */
export const newTeamSchema = z.strictObject({ ...teamFields, team_id: teamId.optional() });
export type NewTeamRequest = z.output<typeof newTeamSchema>;

/** POST /team/update: team_id plus the fields to change. */
export const updateTeamSchema = z.strictObject({ ...teamFields, team_id: teamId });
export type UpdateTeamRequest = z.output<typeof updateTeamSchema>;

/** POST /team/delete. */
export const deleteTeamsSchema = z.strictObject({ team_ids: z.array(teamId).min(1, 'give at least one').max(1000) });

/** POST /team/block, /team/unblock. */
export const teamRefSchema = z.strictObject({ team_id: teamId });

/** POST /team/member_add: one member or a list. */
export const memberAddSchema = z
  .strictObject({
    team_id: teamId,
    member: z.union([memberSchema, members.min(1, 'must list at least one member')]),
    max_budget_in_team: limitFields.max_budget,
  })
  // Checked beside the union, whose own refusal would only say "Invalid input".
  .refine((b) => !Array.isArray(b.member) || b.member.length <= MAX_TEAM_MEMBERS, {
    path: ['member'],
    message: `must list at most ${MAX_TEAM_MEMBERS} members (a team has at most ${MAX_TEAM_MEMBERS})`,
  });

/** POST /team/member_delete. */
export const memberDeleteSchema = z
  .strictObject({ team_id: teamId, user_id: text.optional(), user_email: text.optional() })
  .refine((b) => b.user_id !== undefined || b.user_email !== undefined, { message: 'give user_id or user_email' });

/** POST /team/member_update: a member (by user_id or user_email) gets a new role. */
export const memberUpdateSchema = z
  .strictObject({
    team_id: teamId,
    user_id: text.optional(),
    user_email: text.optional(),
    role: z.enum(['admin', 'user'], { error: 'must be "admin" or "user"' }).optional(),
    // The member's own budget in the team (LiteLLM's team membership budget).
    max_budget_in_team: limitFields.max_budget,
    budget_duration: limitFields.budget_duration,
    tpm_limit: limitFields.tpm_limit,
    rpm_limit: limitFields.rpm_limit,
  })
  .refine((b) => b.user_id !== undefined || b.user_email !== undefined, { message: 'give user_id or user_email' });

/** GET /team/info. */
export const teamInfoSchema = z.strictObject({ team_id: teamId.optional() });

/** GET /team/list. */
export const listTeamsSchema = z.strictObject({ user_id: text.optional(), organization_id: text.optional() });
