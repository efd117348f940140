import { z } from 'zod';
import { sortBy, sortOrder } from './list-sort';
import { customSecret, keyFields, keyRef } from './key-fields';
import { litellmKeyShape } from './litellm-key-fields';
import { isStorableText, NOT_STORABLE } from './storable';
import { KEY_SORT_COLUMNS } from '../key-row';

/** POST /key/generate: `{}` gives an unrestricted key. */
export const generateKeySchema = z.strictObject({ ...litellmKeyShape, ...keyFields, key: customSecret.optional() });
export type GenerateKeyRequest = z.output<typeof generateKeySchema>;

/** POST /key/update: `key` (secret or token) plus the fields to change. */
export const updateKeySchema = z.strictObject({ ...litellmKeyShape, ...keyFields, key: keyRef });
export type UpdateKeyRequest = z.output<typeof updateKeySchema>;

/** POST /key/regenerate (and /key/{key}/regenerate, where `key` may come from the path). */
export const regenerateKeySchema = z.strictObject({
  ...litellmKeyShape,
  ...keyFields,
  key: keyRef.optional(),
  new_key: customSecret.optional(),
});
export type RegenerateKeyRequest = z.output<typeof regenerateKeySchema>;

/** POST /key/delete: `keys` (secrets or tokens) and/or `key_aliases`. */
export const deleteKeysSchema = z
  .strictObject({ keys: z.array(keyRef).max(1000).optional(), key_aliases: z.array(keyRef).max(1000).optional() })
  .refine((b) => (b.keys?.length ?? 0) + (b.key_aliases?.length ?? 0) > 0, {
    message: 'give at least one of keys, key_aliases',
  });
export type DeleteKeysRequest = z.output<typeof deleteKeysSchema>;

/** POST /key/block, /key/unblock. */
export const keyRefSchema = z.strictObject({ key: keyRef });

const queryText = z.string().min(1).max(256).refine(isStorableText, NOT_STORABLE);
/** A boolean query flag, in the spellings LiteLLM (FastAPI) accepts: `true`/`false` in any case, `1`/`0`. */
const flag = z
  .string()
  .transform((v) => v.toLowerCase())
  .pipe(z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }))
  .transform((v) => v === 'true' || v === '1');

/** GET /key/list query. */
export const listKeysSchema = z.strictObject({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  size: z.coerce.number().int().min(1).max(100).default(10),
  team_id: queryText.optional(),
  user_id: queryText.optional(),
  key_alias: queryText.optional(),
  return_full_object: flag.optional(),
  key_hash: queryText.optional(),
  organization_id: queryText.optional(),
  project_id: queryText.optional(),
  agent_id: queryText.optional(),
  sort_by: sortBy(KEY_SORT_COLUMNS),
  sort_order: sortOrder('desc'),
  // LiteLLM UI flags that widen a non-admin's listing to keys it may see anyway here (its scope decides), or add
  // the user object: accepted, no effect.
  include_team_keys: flag.optional(),
  include_created_by_keys: flag.optional(),
  expand: queryText.optional(),
  substring_matching: flag.optional(),
  access_group_id: queryText.optional(),
  // LiteLLM's only status is "deleted" (its table of deleted keys); deleted keys are not kept here, so that list is
  // empty.
  status: z.enum(['deleted'], { error: 'must be "deleted"' }).optional(),
});
export type ListKeysQuery = z.output<typeof listKeysSchema>;

/** GET /key/info query. */
export const keyInfoSchema = z.strictObject({ key: keyRef.optional() });

/**
 * POST /v2/key/info: `keys` (secrets or tokens). LiteLLM's body model also has `key_aliases`, which its route does
 * not read: accepted, and not read here either.
 */
export const keyInfoV2Schema = z.strictObject({
  keys: z.array(keyRef).min(1).max(1000),
  key_aliases: z.array(keyRef).max(1000).optional(),
});
