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

describe('configuration is read in one place', () => {
  it('nothing outside src/config and src/main.ts reads process.env', () => {
    const files = sources(join(ROOT, 'src'));
    assert.ok(files.length > 20, 'the scan sees the sources');
    const offenders = files
      .map((f) => relative(ROOT, f))
      .filter((f) => !f.startsWith('src/config/') && f !== 'src/main.ts')
      .filter((f) => /process\s*\.\s*env\b|process\s*\[\s*['"]env['"]\s*\]/.test(readFileSync(join(ROOT, f), 'utf8')));
    assert.deepEqual(offenders, [], `read the value from GatewayConfig (src/config) instead: ${offenders.join(', ')}`);
  });

  it('main.ts hands process.env to the config loader and nothing else', () => {
    const main = readFileSync(join(ROOT, 'src', 'main.ts'), 'utf8');
    assert.deepEqual(main.match(/process\.env[^,)]*/g), ['process.env']);
    assert.match(main, /loadGatewayConfig\(\{[^}]*env: process\.env/);
  });
});
