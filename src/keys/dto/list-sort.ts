import { z } from 'zod';

/** A list route's `sort_by`: one of the names of the columns it may sort by (LiteLLM's names), or none. */
export function sortBy<C extends Readonly<Record<string, string>>>(columns: C) {
  const names = Object.keys(columns) as [keyof C & string, ...(keyof C & string)[]];
  return z.enum(names, { error: `must be one of ${names.join(', ')}` }).optional();
}

/** A list route's `sort_order`, defaulting as LiteLLM's route of the same name does. */
export function sortOrder(fallback: 'asc' | 'desc') {
  return z.enum(['asc', 'desc'], { error: 'must be asc or desc' }).default(fallback);
}
