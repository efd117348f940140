import type { z } from 'zod';
import type { ConfigProblem } from './config.error';
import { fileSchema, type FileConfig } from './config.schema';
import { formatPath, type Env } from './config.util';

const ENV_REF = 'os.environ/';

/** Replaces `os.environ/NAME` values by the variable's text; `fromEnv` collects their paths (see validate). */
export function resolveEnvRefs(
  value: unknown,
  env: Env,
  file: string,
  at: (string | number)[],
  fromEnv: Set<string>,
  problems: ConfigProblem[],
  covered: Set<string>,
): unknown {
  if (typeof value === 'string' && value.startsWith(ENV_REF)) {
    const name = value.slice(ENV_REF.length);
    const found = env[name];
    const path = formatPath(at);
    if (found === undefined || found === '') {
      problems.push({ source: file, keyPath: path, problem: `${value} is not set in the environment` });
      covered.add(path);
      return undefined;
    }
    fromEnv.add(path);
    return found;
  }
  if (Array.isArray(value))
    return value.map((v, i) => resolveEnvRefs(v, env, file, [...at, i], fromEnv, problems, covered));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = resolveEnvRefs(v, env, file, [...at, k], fromEnv, problems, covered);
    return out;
  }
  return value;
}

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** An environment variable's text where the schema wants a number or a boolean (`600`, `0.5`, `true`, `False`). */
function fromEnvText(text: string, expected: string): number | boolean | undefined {
  const t = text.trim();
  if (expected === 'number') return NUMBER_TEXT.test(t) && Number.isFinite(Number(t)) ? Number(t) : undefined;
  if (expected === 'boolean') return /^true$/i.test(t) ? true : /^false$/i.test(t) ? false : undefined;
  return undefined;
}

/**
 * Validates the resolved config, every problem collected (those at `covered` paths were reported already). An
 * environment variable is text: where the schema wants a number or a boolean at a value that came from
 * `os.environ/NAME`, the text is read as one (and refused, naming the variable's place, when it is not one), so any
 * value may come from the environment.
 */
export function validate(
  resolved: unknown,
  file: string,
  fromEnv: ReadonlySet<string>,
  problems: ConfigProblem[],
  covered: ReadonlySet<string>,
): FileConfig | undefined {
  for (;;) {
    const result = fileSchema.safeParse(resolved, {
      error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? 'is required' : undefined),
    });
    if (result.success) return result.data;
    let converted = 0;
    const left: z.core.$ZodIssue[] = [];
    for (const issue of result.error.issues) {
      const text =
        issue.code === 'invalid_type' && fromEnv.has(formatPath(issue.path)) ? getAt(resolved, issue.path) : 0;
      if (issue.code !== 'invalid_type' || typeof text !== 'string') {
        left.push(issue);
        continue;
      }
      const value = fromEnvText(text, issue.expected);
      if (value === undefined) {
        left.push({
          ...issue,
          message: `must be a ${issue.expected}; the environment variable it names holds something else`,
        });
        continue;
      }
      setAt(resolved, issue.path, value);
      converted++;
    }
    if (converted > 0) continue;
    for (const issue of left) {
      const path = formatPath(issue.path);
      if ([...covered].some((c) => path === c || path.startsWith(`${c}.`) || path.startsWith(`${c}[`))) continue;
      problems.push({ source: file, keyPath: path, problem: issue.message });
    }
    return undefined;
  }
}

function setAt(root: unknown, path: readonly PropertyKey[], value: unknown): void {
  (getAt(root, path.slice(0, -1)) as Record<PropertyKey, unknown>)[path[path.length - 1]] = value;
}

function getAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown>)[key], root);
}
