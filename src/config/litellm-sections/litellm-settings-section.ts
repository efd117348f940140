import { LITELLM_MODULE_SETTINGS } from './litellm-module-settings';
import type { PartlyDone, SettingsSection } from './section';

/** `litellm_settings`: retries, timeouts, fallbacks and logging of the calls. */
export const LITELLM_SETTINGS_SECTION: SettingsSection = {
  path: 'litellm_settings',
  strict: false,
  implemented: {
    num_retries: 'retries per call (router_settings.num_retries wins)',
    request_timeout: 'seconds per upstream call (router_settings.timeout wins)',
    drop_params:
      'a parameter an upstream answers 400 "unsupported"/"unrecognized" to is removed and the call sent again',
    fallbacks: 'fallback groups or deployment ids (merged with router_settings.fallbacks, which come first)',
    default_fallbacks: 'fallback groups for every group without its own',
    context_window_fallbacks: 'groups tried when an upstream says the context window is exceeded',
    content_policy_fallbacks: "groups tried when an upstream's content filter refuses",
    json_logs: 'logs as JSON lines',
    set_verbose: 'debug log level',
    cache_params: 'only redis host/port/password: the Redis of REDIS_URL (shared limits and routing state)',
    require_auth_for_metrics_endpoint:
      '/metrics needs an admin credential, and its labels then name keys, teams and users',
  },
  ignored: [
    'success_callback',
    'failure_callback',
    'callbacks',
    'service_callbacks',
    'turn_off_message_logging',
    'redact_user_api_key_info',
    'langfuse_default_tags',
    'modify_params',
    'enable_preview_features',
    'mcp_aliases',
    'force_ipv4',
    'cache',
    'disable_end_user_cost_tracking',
    'disable_end_user_cost_tracking_prometheus_only',
    'key_generation_settings',
    'disable_add_transform_inline_image_block',
    'use_chat_completions_url_for_anthropic_messages',
    'disable_hf_tokenizer_download',
    'enable_json_schema_validation',
    'enable_key_alias_format_validation',
    'disable_copilot_system_to_assistant',
    'max_budget',
    'budget_duration',
    'max_internal_user_budget',
    'internal_user_budget_duration',
    'default_internal_user_params',
    'default_team_settings',
    'default_key_generate_params',
    'upperbound_key_generate_params',
    'default_max_internal_user_budget',
    'max_end_user_budget',
    'upperbound_team_generate_params',
    'public_teams',
    'allowed_fails',
    'cooldown_time',
    'token_counter',
    'return_response_headers',
    'ssl_verify',
    'callback_settings',
    'guardrails',
    'enable_azure_ad_token_refresh',
    'check_provider_endpoint',
    'disable_token_counter',
    'telemetry',
    'add_function_to_prompt',
    'model_alias_map',
    'model_group_settings',
    'global_disable_no_log_param',
    'LITELLM_DISABLE_STOP_SEQUENCE_LIMIT',
    'service_callback',
    'disable_stop_sequence_limit',
    'langfuse_enable_update_trace_keys',
    'request_correlation_in_logs',
    'disable_aiohttp_transport',
    'http2',
    'enable_redis_auth_cache',
    'enable_end_user_cost_tracking_prometheus_only',
    'cost_discount_config',
    'cost_margin_config',
    'route_all_chat_openai_to_responses',
    'skip_system_message_in_guardrail',
    'skip_tool_message_in_guardrail',
    'key_alias_pattern',
    'require_managed_files',
    'user_url_validation',
    'user_url_allowed_hosts',
    'default_team_params',
    'budget_reset_time',
    'overwrite_user_with_key_hash',
    'max_ui_session_budget',
    'store_audit_logs',
    ...LITELLM_MODULE_SETTINGS,
  ],
  partlyDone: {
    success_callback: callbacksBesidesPrometheus(),
    failure_callback: callbacksBesidesPrometheus(),
    callbacks: callbacksBesidesPrometheus(),
    telemetry: {
      does: '`false` needs nothing (the gateway sends no telemetry); `true`: warning at start',
      rest: (value) => (value === false ? undefined : ''),
    },
  },
};

/**
 * `prometheus` asks for metrics, which the gateway's /metrics always serves; any other callback is not done. A value
 * that is no list of names (an os.environ/ reference, not read yet) gets the plain warning.
 */
function callbacksBesidesPrometheus(): PartlyDone {
  return {
    does: "`prometheus` needs nothing (the gateway's /metrics is always on); any other callback: warning at start naming it",
    rest: (value) => {
      const others = (Array.isArray(value) ? value : [value]).filter((c) => c !== 'prometheus' && c != null);
      if (others.some((c) => typeof c !== 'string' || c.startsWith('os.environ/'))) return '';
      return others.length > 0 ? others.join(', ') : undefined;
    },
  };
}
