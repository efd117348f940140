import type { ConfigProblem } from './config.error';
import { isMapping, type Mapping } from './config.util';

/**
 * LiteLLM's `credential_list` (credentials defined once, named by deployments with
 * `litellm_params.litellm_credential_name`): each named credential's `credential_values` fill the deployment's
 * params it does not set itself, as LiteLLM does before each call. Runs on the raw file, before its keys are checked
 * and its `os.environ/` references read, so the values copied in are checked and resolved like the deployment's own.
 */
export function applyCredentialList(raw: Mapping, file: string, warnings: string[], problems: ConfigProblem[]): void {
  const list = raw.credential_list;
  delete raw.credential_list;
  const byName = new Map<string, Mapping>();
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list)) {
      problems.push({ source: file, keyPath: 'credential_list', problem: 'must be a list of credentials' });
      return;
    }
    list.forEach((c, i) => {
      const at = `credential_list[${i}]`;
      if (!isMapping(c) || typeof c.credential_name !== 'string' || c.credential_name === '')
        problems.push({ source: file, keyPath: `${at}.credential_name`, problem: 'is required (a name)' });
      else if (c.credential_values !== undefined && c.credential_values !== null && !isMapping(c.credential_values))
        problems.push({ source: file, keyPath: `${at}.credential_values`, problem: 'must be a mapping of params' });
      else byName.set(c.credential_name, c.credential_values ?? {});
    });
  }
  const models = Array.isArray(raw.model_list) ? (raw.model_list as unknown[]) : [];
  models.forEach((m, i) => {
    const params = isMapping(m) && isMapping(m.litellm_params) ? m.litellm_params : undefined;
    const name = params?.litellm_credential_name;
    if (!params || name === undefined) return;
    delete params.litellm_credential_name;
    const values = typeof name === 'string' ? byName.get(name) : undefined;
    if (!values) {
      warnings.push(
        `${file}: model_list[${i}].litellm_params.litellm_credential_name: no credential ${JSON.stringify(name)} in credential_list; ignored`,
      );
      return;
    }
    for (const [k, v] of Object.entries(values)) if (!(k in params)) params[k] = v;
  });
}
