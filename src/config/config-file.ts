import { ConfigError, type ConfigProblem } from './config.error';
import type { FileConfig } from './config.schema';
import type { Env } from './config.util';
import { resolveEnvRefs, validate } from './env-refs';
import { mergeIncludes } from './config-include';
import type { ConfigOrigins } from './config-origins';
import { applyCredentialList } from './credential-list';
import { liftDeploymentLimits } from './deployment-limits';
import { dropUnusedEnvRefs } from './unused-env-refs';
import { checkKnownKeys } from './known-keys';
import { readYamlMapping } from './yaml-file';

export interface FileRead {
  readonly file: FileConfig;
  readonly env: Env;
  /** Per model_list index: the credential forms the deployment names. */
  readonly credentials: ReadonlyMap<number, readonly string[]>;
}

export function readConfigFile(path: string, processEnv: Env, warnings: string[], origins?: ConfigOrigins): FileRead {
  const problems: ConfigProblem[] = [];
  const raw = readYamlMapping(path, problems);
  ConfigError.throwIfAny(problems);
  mergeIncludes(raw!, path, warnings, problems, origins);
  ConfigError.throwIfAny(problems);
  const env = withFileVariables(raw!, processEnv, path, problems);
  applyCredentialList(raw!, path, warnings, problems);
  liftDeploymentLimits(raw!);
  dropUnusedEnvRefs(raw!, env);
  // Keys first (warnings, removals), so that an os.environ/ reference under an ignored key cannot stop the start.
  const keys = checkKnownKeys(raw!, path, warnings, problems);
  const fromEnv = new Set<string>();
  const resolved = resolveEnvRefs(raw, env, path, [], fromEnv, problems, keys.covered);
  const file = validate(resolved, path, fromEnv, problems, keys.covered);
  ConfigError.throwIfAny(problems);
  return { file: file!, env, credentials: keys.credentials };
}

/**
 * LiteLLM's top-level `environment_variables:`: variables the config file provides (e.g. DATABASE_URL, or the
 * NAME of an `os.environ/NAME`). The process environment wins over them; they are read like it, never written to it.
 */
function withFileVariables(raw: Record<string, unknown>, env: Env, file: string, problems: ConfigProblem[]): Env {
  const vars = raw.environment_variables;
  delete raw.environment_variables;
  if (vars === undefined || vars === null) return env;
  if (typeof vars !== 'object' || Array.isArray(vars)) {
    problems.push({ source: file, keyPath: 'environment_variables', problem: 'must be a mapping of NAME: value' });
    return env;
  }
  const merged: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(vars)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      const keyPath = `environment_variables.${name}`;
      problems.push({ source: file, keyPath, problem: 'must be a string, a number or a boolean' });
      continue;
    }
    merged[name] = String(value);
  }
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') merged[name] = value;
  return merged;
}
