import { z } from 'zod';
import { validateRouteList } from '../../auth/routes/route-matcher';
import { isStorableDuration, isValidDuration } from '../../common/time/duration';
import { KEY_PREFIX, MIN_CUSTOM_KEY_LENGTH } from '../secrets/key-secret';
import { isStorableText, jsonProblem, NOT_STORABLE } from './storable';
import { budgetDuration, limit, money } from './bounded';

/** The LiteLLM key fields shared by generate, update and regenerate (each optional; null clears where it makes sense). */
const text = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .refine(isStorableText, NOT_STORABLE);
const names = z.array(text).max(1000, 'must have at most 1000 entries');

export const keyFields = {
  key_alias: text.nullable().optional(),
  models: names.optional(),
  duration: z
    .string()
    .refine(isValidDuration, 'must be a number and a unit: 30s, 15m, 24h, 7d, 2w, 1mo, 1y')
    .refine((d) => isStorableDuration(d), 'is too long: the key would expire after the year 9999')
    .nullable()
    .optional(),
  max_budget: money.nullable().optional(),
  soft_budget: money.nullable().optional(),
  budget_duration: budgetDuration.nullable().optional(),
  /** A budget (/budget/*) whose limits the key takes where it sets none of its own; null leaves it. */
  budget_id: text.nullable().optional(),
  rpm_limit: limit.nullable().optional(),
  tpm_limit: limit.nullable().optional(),
  max_parallel_requests: limit.nullable().optional(),
  metadata: z
    .record(z.string(), z.unknown())
    .superRefine((m, ctx) => {
      const problem = jsonProblem(m);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .nullable()
    .optional(),
  team_id: text.nullable().optional(),
  user_id: text.nullable().optional(),
  allowed_routes: names
    .superRefine((routes, ctx) => {
      const problem = validateRouteList(routes);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  blocked: z.boolean().optional(),
};

/**
 * A custom secret: `sk-` prefixed, long enough not to be guessed, and made of the URL-safe characters generated
 * secrets use (so it can sit in a path, and the log scrubber recognises it like any generated key).
 */
export const customSecret = z
  .string()
  .max(256, 'must be at most 256 characters')
  .refine((s) => s.startsWith(KEY_PREFIX), `must start with ${KEY_PREFIX}`)
  .refine((s) => s.length >= MIN_CUSTOM_KEY_LENGTH, `must be at least ${MIN_CUSTOM_KEY_LENGTH} characters long`)
  .refine((s) => /^sk-[A-Za-z0-9_-]+$/.test(s), 'may only contain letters, digits, _ and - after sk-');

/** Names a key to act on: its secret (`sk-...`) or its token (the SHA-256 hex). */
export const keyRef = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'is too long')
  .refine(isStorableText, NOT_STORABLE);

export type KeyFields = {
  [K in keyof typeof keyFields]?: z.output<(typeof keyFields)[K]>;
};
