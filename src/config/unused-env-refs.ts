import { providerFor } from '../proxy/providers/provider-registry';
import { splitModel, type Env, isMapping, type Mapping } from './config.util';

const ENV_REF = 'os.environ/';

/**
 * A deployment of a provider the gateway does not implement is never called (one warning says so): an
 * `os.environ/NAME` in its params naming a variable that is not set is dropped instead of stopping the start, as
 * LiteLLM starts with it unset. Runs on the raw file, before its references are read.
 */
export function dropUnusedEnvRefs(raw: Mapping, env: Env): void {
  if (!Array.isArray(raw.model_list)) return;
  for (const m of raw.model_list as unknown[]) {
    const params = isMapping(m) && isMapping(m.litellm_params) ? m.litellm_params : undefined;
    if (!params || typeof params.model !== 'string' || params.model.startsWith(ENV_REF)) continue;
    const custom = typeof params.custom_llm_provider === 'string' ? params.custom_llm_provider : undefined;
    if (providerFor(splitModel(params.model, custom).provider)) continue;
    for (const [k, v] of Object.entries(params)) {
      if (typeof v !== 'string' || !v.startsWith(ENV_REF)) continue;
      const value = env[v.slice(ENV_REF.length)];
      if (value === undefined || value === '') delete params[k];
    }
  }
}
