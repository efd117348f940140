import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/gateway';

/** Every .ts file under src/, except the generated Prisma client (not ours). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** A read of the process environment: `process.env`, `process['env']`, or `const { env } = process`. */
const READS_ENV = /process\s*\.\s*env\b|process\s*\[\s*['"]env['"]\s*\]|\{[^}]*\benv\b[^}]*\}\s*=\s*process\b/;

describe('configuration is read in one place', () => {
  it('recognises each way of reading the environment', () => {
    for (const code of ['x = process.env.PORT', "process['env']", 'const { env } = process;'])
      assert.match(code, READS_ENV, code);
    for (const code of ['cfg.env', 'process.argv', 'const { argv } = process;'])
      assert.doesNotMatch(code, READS_ENV, code);
  });

  it('nothing outside src/config reads process.env', () => {
    const files = sources(join(ROOT, 'src'));
    assert.ok(files.length > 20, 'the scan sees the sources');
    const offenders = files
      .map((f) => relative(ROOT, f))
      .filter((f) => !f.startsWith('src/config/'))
      .filter((f) => READS_ENV.test(readFileSync(join(ROOT, f), 'utf8')));
    assert.deepEqual(offenders, [], `read the value from GatewayConfig (src/config) instead: ${offenders.join(', ')}`);
  });

  it('main.ts hands the process to the config loader (src/config/process-config.ts)', () => {
    const main = readFileSync(join(ROOT, 'src', 'main.ts'), 'utf8');
    assert.match(main, /loadProcessConfig\(argv\)/);
  });
});
