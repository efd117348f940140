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
 * The key's rpm and tpm limits and what remains of them in the current minute, under the names of LiteLLM's
 * limiter (`x-ratelimit-api_key-{remaining,limit}-{requests,tokens}`) and of its legacy one
 * (`x-ratelimit-{remaining,limit}-{requests,tokens}`): from the counts the limiter read when admitting the call. This
 * call counts as a request; its tokens are not known yet.
 */
function pushRateLimitHeaders(head: string[], key: KeyBudgetView, admission: Admission): void {
  const seen = admission.keyWindow?.();
  if (key.rpmLimit !== null) {
    const limit = String(key.rpmLimit);
    head.push('x-ratelimit-api_key-limit-requests', limit, 'x-ratelimit-limit-requests', limit);
    if (seen && seen.requests >= 0) {
      const left = String(Math.max(0, key.rpmLimit - seen.requests - 1));
      head.push('x-ratelimit-api_key-remaining-requests', left, 'x-ratelimit-remaining-requests', left);
    }
  }
  if (key.tpmLimit !== null) {
    const limit = String(key.tpmLimit);
    head.push('x-ratelimit-api_key-limit-tokens', limit, 'x-ratelimit-limit-tokens', limit);
    if (seen && seen.tokens >= 0) {
      const left = String(Math.max(0, key.tpmLimit - seen.tokens));
      head.push('x-ratelimit-api_key-remaining-tokens', left, 'x-ratelimit-remaining-tokens', left);
    }
  }
}
