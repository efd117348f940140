import type { Admission, KeyBudgetView } from './call-accounting';

/**
 * LiteLLM's answer headers of a virtual key's call: `x-litellm-key-spend` (its spend in the current budget period,
 * before this call) and `x-litellm-key-max-budget` (left out when it has none, as LiteLLM leaves out empty values);
 * for a key with an rpm or tpm limit, its rate limits (rateLimitHeaders). Appended to an answer's own headers.
 */
export function pushKeyHeaders(head: string[], key: KeyBudgetView, admission: Admission): void {
  head.push('x-litellm-key-spend', String(key.spendAt(Date.now())));
  if (key.maxBudget !== null) head.push('x-litellm-key-max-budget', String(key.maxBudget));
  if (key.hasRateLimits) pushRateLimitHeaders(head, key, admission);
}

/**
 * The key's rpm and tpm limits and what remains of them in the current minute, under the OpenAI-compatible names
 * LiteLLM documents (`x-ratelimit-{limit,remaining}-{requests,tokens}`), from the counts the limiter read when
 * admitting the call. This call counts as a request; its tokens are not known yet. Its newer limiter's per-scope
 * copies (`x-ratelimit-api_key-*`) are not sent: each header costs Node's validation of its name and value on every
 * call of such a key.
 */
function pushRateLimitHeaders(head: string[], key: KeyBudgetView, admission: Admission): void {
  const seen = admission.keyWindow?.();
  if (key.rpmLimit !== null) {
    head.push('x-ratelimit-limit-requests', String(key.rpmLimit));
    if (seen && seen.requests >= 0)
      head.push('x-ratelimit-remaining-requests', String(Math.max(0, key.rpmLimit - seen.requests - 1)));
  }
  if (key.tpmLimit !== null) {
    head.push('x-ratelimit-limit-tokens', String(key.tpmLimit));
    if (seen && seen.tokens >= 0)
      head.push('x-ratelimit-remaining-tokens', String(Math.max(0, key.tpmLimit - seen.tokens)));
  }
}
