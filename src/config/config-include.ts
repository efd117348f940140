import { dirname, resolve } from 'node:path';
import type { ConfigProblem } from './config.error';
import { readYamlMapping } from './yaml-file';

type Mapping = Record<string, unknown>;

/**
 * LiteLLM's top-level `include:` (a file, or a list of files, relative to the including file): each file's keys are
 * merged into the config as LiteLLM merges them, a list appended to the list of the same key (`model_list` split
 * over several files), any other value replacing the key's. An included file's own `include` is not followed, as in
 * LiteLLM; it is named in a warning rather than dropped unseen.
 */
export function mergeIncludes(raw: Mapping, path: string, warnings: string[], problems: ConfigProblem[]): void {
  const given = raw.include;
  delete raw.include;
  if (given === undefined || given === null) return;
  const files = typeof given === 'string' ? [given] : given;
  if (!Array.isArray(files) || !files.every((f): f is string => typeof f === 'string' && f !== '')) {
    problems.push({ source: path, keyPath: 'include', problem: 'must be a file path or a list of file paths' });
    return;
  }
  files.forEach((file, i) => {
    const full = resolve(dirname(path), file);
    const included = readYamlMapping(full, problems, { source: path, keyPath: `include[${i}]` });
    if (included === undefined) return;
    if ('include' in included) {
      warnings.push(`${full}: include: an included file's own include is not followed (as in LiteLLM); ignored`);
      delete included.include;
    }
    for (const [key, value] of Object.entries(included)) {
      const mine = raw[key];
      raw[key] =
        Array.isArray(value) && Array.isArray(mine) ? [...(mine as unknown[]), ...(value as unknown[])] : value;
    }
  });
}
