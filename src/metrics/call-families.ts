import type { Label } from './call-series';
import type { FamilyWriter } from './family-writer';

/** LiteLLM's per-call families, under its names, help texts and labels (so its Grafana dashboards work). */
export function renderCallFamilies(w: FamilyWriter): void {
  const caller: readonly Label[] = ['end_user', 'hashed_api_key', 'api_key_alias', 'team', 'team_alias', 'user'];
  w.counter(
    'litellm_requests_metric_total',
    'Total number of LLM calls to litellm',
    [...caller, 'model'],
    (s) => s.requests,
  );
  w.counter('litellm_spend_metric_total', 'Total spend on LLM requests', [...caller, 'model'], (s) => s.spend);
  const tokens: Label[] = [...caller, 'model', 'requested_model'];
  w.counter(
    'litellm_total_tokens_metric_total',
    'Total number of input + output tokens from LLM requests',
    tokens,
    (s) => s.input + s.output,
  );
  w.counter(
    'litellm_input_tokens_metric_total',
    'Total number of input tokens from LLM requests',
    tokens,
    (s) => s.input,
  );
  w.counter(
    'litellm_output_tokens_metric_total',
    'Total number of output tokens from LLM requests',
    tokens,
    (s) => s.output,
  );
  w.keyed(
    'litellm_proxy_total_requests_metric_total',
    'Total number of requests made to the proxy server',
    [...caller, 'requested_model'],
    ['status_code'],
    (s) => s.byStatus,
  );
  w.keyed(
    'litellm_proxy_failed_requests_metric_total',
    'Total number of failed responses from proxy',
    [...caller, 'requested_model'],
    ['exception_status', 'exception_class'],
    (s) => s.failures,
  );
  w.histogram(
    'litellm_request_total_latency_metric',
    'Total latency (seconds) for a request to LiteLLM',
    [...caller, 'requested_model', 'model'],
    (s) => s.total,
  );
  w.histogram(
    'litellm_llm_api_latency_metric',
    'Total latency (seconds) for a models LLM API call',
    [...caller, 'requested_model', 'model'],
    (s) => s.api,
  );
  w.histogram(
    'litellm_llm_api_time_to_first_token_metric',
    'Time to first token for a models LLM API call',
    ['hashed_api_key', 'api_key_alias', 'team', 'team_alias', 'model'],
    (s) => s.ttft,
  );
}
