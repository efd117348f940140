import { z } from 'zod';
import type { Operation } from '../providers/provider';

/**
 * The two hot bodies, checked only where the gateway depends on them. Loose objects: every other field (and
 * every field the OpenAI API adds next month) passes through untouched.
 */
const model = z.string({ error: 'is required and must be a string (the model group name)' }).min(1, 'must not be empty');

export const chatRequestSchema = z.looseObject({
  model,
  messages: z
    .array(z.looseObject({ role: z.string({ error: 'is required and must be a string' }) }), { error: 'is required and must be an array of messages' })
    .min(1, 'must hold at least one message'),
  stream: z.boolean({ error: 'must be a boolean' }).nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean({ error: 'must be a boolean' }).nullable().optional() }).nullable().optional(),
});

const tokens = z.array(z.number().int());
export const embeddingsRequestSchema = z.looseObject({
  model,
  input: z.union([z.string(), z.array(z.string()).min(1), tokens.min(1), z.array(tokens).min(1)], {
    error: 'is required: a string, an array of strings, or token arrays',
  }),
});

export const REQUEST_SCHEMAS: Readonly<Record<Operation, z.ZodType<Record<string, unknown>>>> = {
  chat: chatRequestSchema,
  embeddings: embeddingsRequestSchema,
};
