import { dirname, resolve } from 'node:path';
import type { ConfigProblem } from './config.error';
import type { ConfigOrigins } from './config-origins';
import type { Mapping } from './config.util';
import { readYamlMapping } from './yaml-file';

/**
 * LiteLLM's top-level `include:` (a file, or a list of files): each file's keys are merged into the config as
 * LiteLLM merges them, a list appended to the list of the same key (`model_list` split over several files), any other
 * value replacing the key's. As in LiteLLM, paths are relative to the top config file's folder, and an included
 * file's own list of includes is appended to the files still to read (its single-path form is not followed: a
 * warning says so). A file met twice is refused, where LiteLLM would read an include cycle for ever.
 */
export function mergeIncludes(
  raw: Mapping,
  path: string,
  warnings: string[],
  problems: ConfigProblem[],
  origins?: ConfigOrigins,
): void {
  const given = raw.include;
  delete raw.include;
  if (given === undefined || given === null) return;
  const queue = typeof given === 'string' ? [given] : given;
  if (!isPathList(queue)) {
    problems.push({ source: path, keyPath: 'include', problem: 'must be a file path or a list of file paths' });
    return;
  }
  const seen = new Set([path]);
  for (let i = 0; i < queue.length; i++) {
    const full = resolve(dirname(path), queue[i]);
    if (seen.has(full)) {
      problems.push({ source: path, keyPath: 'include', problem: `${full} is included more than once (a cycle?)` });
      return;
    }
    seen.add(full);
    const included = readYamlMapping(full, problems, { source: path, keyPath: `include: ${queue[i]}` });
    if (included === undefined) return;
    const nested = included.include;
    delete included.include;
    if (isPathList(nested)) queue.push(...nested);
    else if (nested !== undefined && nested !== null)
      warnings.push(`${full}: include: only a list of paths is followed in an included file (as in LiteLLM); ignored`);
    for (const [key, value] of Object.entries(included)) {
      const mine = raw[key];
      if (Array.isArray(value) && Array.isArray(mine)) {
        origins?.appended(key, mine.length, full);
        raw[key] = [...(mine as unknown[]), ...(value as unknown[])];
      } else {
        origins?.replaced(key, full, value);
        raw[key] = value;
      }
    }
  }
}

function isPathList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((f) => typeof f === 'string' && f !== '');
}
