import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/**
 * In a fresh process: many nextTick calls with full GCs in between (what a busy gateway does), then V8's own view of
 * `process.nextTick`'s inline caches. The four slots that build the tick object must still be monomorphic.
 */
const SCRIPT = `
const v8 = require('node:v8');
v8.setFlagsFromString('--expose-gc');
const gc = require('node:vm').runInNewContext('gc');
require(process.argv[1]).holdTickObjectShape();
(async () => {
  const cb = () => {};
  for (let round = 0; round < 8; round++) {
    for (let i = 0; i < 2000; i++) {
      process.nextTick(cb);
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setImmediate(r));
    gc();
  }
  %DebugPrint(process.nextTick);
})();
`;

describe('process.nextTick stays on its fast path (runtime/tick-shape)', () => {
  it('the tick object literal keeps monomorphic inline caches across full GCs', () => {
    const module = join(__dirname, '..', '..', 'src', 'runtime', 'tick-shape.js');
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '-e', SCRIPT, module], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const slots = out.split('\n').filter((l) => l.includes('DefineKeyedOwnPropertyInLiteral'));
    assert.equal(slots.length, 4, `expected the tick object's four property slots in:\n${out.slice(0, 2000)}`);
    for (const slot of slots) assert.match(slot, /MONOMORPHIC/, slot.trim());
  });
});
