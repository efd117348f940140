import { isMapping, type Mapping } from './config.util';

/**
 * LiteLLM reads a deployment's `tpm`/`rpm` beside `litellm_params` too (its load-balancing example writes them
 * there): moved into `litellm_params` where that does not set its own, on the raw file before its keys are checked.
 */
export function liftDeploymentLimits(raw: Mapping): void {
  if (!Array.isArray(raw.model_list)) return;
  for (const m of raw.model_list as unknown[]) {
    if (!isMapping(m) || !isMapping(m.litellm_params)) continue;
    for (const k of ['tpm', 'rpm'] as const) {
      if (!(k in m)) continue;
      if (!(k in m.litellm_params)) m.litellm_params[k] = m[k];
      delete m[k];
    }
  }
}
