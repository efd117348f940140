import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Tags } from 'yaml';
import { ConfigError, type ConfigProblem } from './config.error';
import type { FileConfig } from './config.schema';
import type { Env } from './config.util';
import { resolveEnvRefs, validate } from './env-refs';
import { checkKnownKeys } from './known-keys';

export interface FileRead {
  readonly file: FileConfig;
  readonly env: Env;
  /** Per model_list index: the credential forms the deployment names. */
  readonly credentials: ReadonlyMap<number, readonly string[]>;
}

export function readConfigFile(path: string, processEnv: Env, warnings: string[]): FileRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, '', `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const lines = new LineCounter();
  // YAML 1.1 scalars, as LiteLLM (PyYAML) reads them: 20_000 is a number, yes/on/True are booleans.
  const doc = parseDocument(text, {
    prettyErrors: false,
    uniqueKeys: true,
    lineCounter: lines,
    version: '1.1',
    customTags: pyYamlBooleans,
  });
  ConfigError.throwIfAny(
    doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return {
        source: path,
        keyPath: `line ${pos.line}, column ${pos.col}`,
        problem: `invalid YAML: ${e.message.split('\n')[0]}`,
      };
    }),
  );
  const raw: unknown = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(path, '', 'the top level must be a mapping');
  const problems: ConfigProblem[] = [];
  const env = withFileVariables(raw as Record<string, unknown>, processEnv, path, problems);
  // Keys first (warnings, removals), so that an os.environ/ reference under an ignored key cannot stop the start.
  const keys = checkKnownKeys(raw as Record<string, unknown>, path, warnings, problems);
  const fromEnv = new Set<string>();
  const resolved = resolveEnvRefs(raw, env, path, [], fromEnv, problems, keys.covered);
  const file = validate(resolved, path, fromEnv, problems, keys.covered);
  ConfigError.throwIfAny(problems);
  return { file: file!, env, credentials: keys.credentials };
}

const PY_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PY_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;

/** YAML 1.1 booleans as PyYAML has them: without the single letters y/n (`id: y` stays a string there). */
function pyYamlBooleans(tags: Tags): Tags {
  return tags.map((t) => {
    if (typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:bool' || !('test' in t) || !t.test) return t;
    return { ...t, test: t.test.test('true') ? PY_TRUE : PY_FALSE };
  });
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
