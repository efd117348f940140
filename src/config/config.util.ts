import { ConfigError } from './config.error';

/** Environment variables as the loader reads them: the process's, or a test's. */
export type Env = Readonly<Record<string, string | undefined>>;

/** A YAML mapping as read from the config file, before validation. */
export type Mapping = Record<string, unknown>;

/** Whether a raw config value is a mapping (not a list, not a scalar, not null). */
export function isMapping(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Parses a whole non-negative number from the environment or the command line; undefined when unset. */
export function parseEnvNumber(value: string | undefined, source: string, what: 'port' | 'number'): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  const ok = /^\d+$/.test(value.trim()) && (what !== 'port' || (n >= 0 && n <= 65535));
  if (!ok) throw new ConfigError(source, '', `"${value}" is not a valid ${what}${what === 'port' ? ' (0-65535)' : ''}`);
  return n;
}

/** `model_list[0].litellm_params.model` from `['model_list', 0, 'litellm_params', 'model']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

/** `azure/my-dep` -> azure, my-dep; `gpt-4o` -> openai, gpt-4o; `custom_llm_provider` names the provider of a bare name. */
export function splitModel(model: string, customProvider?: string): { provider: string; upstreamModel: string } {
  const slash = model.indexOf('/');
  if (customProvider) {
    const prefixed = slash > 0 && model.slice(0, slash) === customProvider;
    return { provider: customProvider, upstreamModel: prefixed ? model.slice(slash + 1) : model };
  }
  if (slash <= 0) return { provider: 'openai', upstreamModel: model };
  return { provider: model.slice(0, slash), upstreamModel: model.slice(slash + 1) };
}
