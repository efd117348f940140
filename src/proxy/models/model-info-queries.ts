import { z } from 'zod';

const name = z.string().min(1).max(256);

/**
 * `/v2/model/info`'s query. LiteLLM's other parameters (`user_models_only`, `debug`, `teamId`, `sortBy`, ...) are let
 * through unread, as LiteLLM lets unknown ones through: its admin UI sends them.
 */
export const modelInfoV2Query = z.object({
  model: name.optional(),
  modelId: name.optional(),
  search: name.optional(),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  size: z.coerce.number().int().min(1).max(1000).default(50),
});

/** `/model_group/info`'s query; other parameters are let through unread, as LiteLLM does. */
export const modelGroupInfoQuery = z.object({ model_group: name.optional() });
