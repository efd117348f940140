import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The project's folder and version: the nearest package.json above this file, found by walking up because the
 * code runs from dist/ in production and from dist-test/src/ in the tests.
 */
export function projectRoot(start = __dirname): { dir: string; version: string } {
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file))
      return { dir, version: (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version };
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}
