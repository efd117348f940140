'use strict';
// The gateway's config for the benchmarks: two deployments in one model group, both on the bench upstream.
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const MASTER = 'sk-bench-master-key-0000';

/**
 * Writes `config.yaml` into `dir` and returns its path. `spendWriteSec`: general_settings.proxy_batch_write_at;
 * `keyCacheTtlSec`: general_settings.user_api_key_cache_ttl (unset: the gateway's defaults); `spendLogs` false sets
 * general_settings.disable_spend_logs; `name`: the file's name without `.yaml`.
 */
function writeBenchConfig(dir, upstreamUrl, { spendWriteSec, keyCacheTtlSec, spendLogs = true, name = 'config' } = {}) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `model_list:
  - model_name: bench-model
    litellm_params: { model: openai/gpt-bench-a, api_base: ${upstreamUrl}, api_key: sk-upstream-a }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
  - model_name: bench-model
    litellm_params: { model: openai/gpt-bench-b, api_base: ${upstreamUrl}, api_key: sk-upstream-b }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
${spendLogs ? '' : '  disable_spend_logs: true\n'}${spendWriteSec ? `  proxy_batch_write_at: ${spendWriteSec}\n` : ''}${keyCacheTtlSec ? `  user_api_key_cache_ttl: ${keyCacheTtlSec}\n` : ''}`,
  );
  return file;
}

module.exports = { MASTER, writeBenchConfig };
