import type { KeyBudgetView } from './call-accounting';

/**
 * LiteLLM's answer headers of a virtual key's call: `x-litellm-key-spend` (its spend in the current budget period,
 * before this call) and `x-litellm-key-max-budget` (left out when it has none, as LiteLLM leaves out empty values).
 * Appended to an answer's own headers. Rate limit headers (`x-ratelimit-*`) are not sent: LiteLLM's default limiter
 * answers only per-scope copies of them (`x-ratelimit-api_key-*`, `-team-*`, ...), the OpenAI-compatible names only
 * its legacy one, and each header costs every call of such a key Node's checks of its name and value.
 */
export function pushKeyHeaders(head: string[], key: KeyBudgetView): void {
  head.push('x-litellm-key-spend', String(key.spendAt(Date.now())));
  if (key.maxBudget !== null) head.push('x-litellm-key-max-budget', String(key.maxBudget));
}
