import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadYaml, refusedBy } from '../support/config';

const load = (yaml: string) => loadYaml(yaml);
const refused = (yaml: string) => refusedBy(() => loadYaml(yaml));

/** The warnings of a loaded config, without the file name in front. */
function warned(c: { readonly warnings: readonly string[] }): string[] {
  return c.warnings.map((w) => w.replace(/^.*?config\.yaml: /, ''));
}

const IGNORED = 'LiteLLM setting not implemented by the gateway; ignored';

describe('config: real LiteLLM settings the gateway does not act on', () => {
  it('start with one warning each, never as unknown keys, in every section', () => {
    const c = load(
      'model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o\n' +
        '      s3_bucket_name: files\n      supports_system_message: false\n' +
        '    model_info:\n      supports_computer_use: true\n      input_cost_per_token_flex: 0.000001\n' +
        'general_settings:\n  master_key: sk-1234\n  disable_error_logs: true\n  fail_closed_budget_enforcement: true\n' +
        '  use_redis_transaction_buffer: true\n  litellm_jwtauth:\n    fallback_to_db_teams: true\n' +
        'litellm_settings:\n  log_raw_request_response: false\n  enable_redis_auth_cache: true\n' +
        '  cache_params:\n    s3_verify: true\n' +
        'router_settings:\n  enable_weighted_failover: true\n  ttft_timeout: 20\n',
    );
    assert.deepEqual(
      warned(c).sort(),
      [
        'general_settings.disable_error_logs',
        'general_settings.fail_closed_budget_enforcement',
        'general_settings.litellm_jwtauth.fallback_to_db_teams',
        'general_settings.use_redis_transaction_buffer',
        'litellm_settings.cache_params.s3_verify',
        'litellm_settings.enable_redis_auth_cache',
        'litellm_settings.log_raw_request_response',
        'model_list[0].litellm_params.s3_bucket_name',
        'model_list[0].litellm_params.supports_system_message',
        'model_list[0].model_info.input_cost_per_token_flex',
        'model_list[0].model_info.supports_computer_use',
        'router_settings.enable_weighted_failover',
        'router_settings.ttft_timeout',
      ].map((path) => `${path}: ${IGNORED}`),
    );
    assert.equal(c.masterKey, 'sk-1234', 'the rest of the file is in force');
  });

  it('a misspelling of one still stops the start in general_settings, naming the real key', () => {
    const err = refused('general_settings:\n  master_key: sk-1234\n  disable_eror_logs: true\n');
    assert.equal(err.keyPath, 'general_settings.disable_eror_logs');
    assert.match(err.problem, /not a LiteLLM setting \(did you mean disable_error_logs\?\)/);
    assert.match(refused('general_settings:\n  master_kye: sk-1234\n').problem, /did you mean master_key\?/);
  });
});

describe('config: LiteLLM settings whose value asks for what the gateway does anyway', () => {
  it('prometheus in callbacks, success_callback or failure_callback gives no warning; other callbacks are named', () => {
    const c = load(
      'litellm_settings:\n  callbacks: [prometheus]\n  success_callback: [prometheus, langfuse]\n' +
        '  failure_callback: [sentry, prometheus, datadog]\n',
    );
    assert.deepEqual(warned(c).sort(), [
      'litellm_settings.failure_callback: LiteLLM setting not implemented by the gateway (sentry, datadog); ignored',
      'litellm_settings.success_callback: LiteLLM setting not implemented by the gateway (langfuse); ignored',
    ]);
    assert.deepEqual(warned(load('litellm_settings:\n  success_callback: prometheus\n')), []);
    assert.deepEqual(warned(load('litellm_settings:\n  callbacks: otel\n')), [
      'litellm_settings.callbacks: LiteLLM setting not implemented by the gateway (otel); ignored',
    ]);
  });

  it('telemetry: false is what the gateway does (no telemetry): no warning; true still warns', () => {
    assert.deepEqual(warned(load('litellm_settings:\n  telemetry: false\n')), []);
    assert.deepEqual(warned(load('litellm_settings:\n  telemetry: true\n')), [
      `litellm_settings.telemetry: ${IGNORED}`,
    ]);
  });

  it('service_callback naming prometheus (health of Redis and Postgres) still warns: the gateway does not do it', () => {
    assert.deepEqual(warned(load('litellm_settings:\n  service_callback: [prometheus]\n')), [
      `litellm_settings.service_callback: ${IGNORED}`,
    ]);
  });
});
