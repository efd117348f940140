import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/**
 * In a fresh process (V8 flags are process-wide): module `a` is compiled and first called inside
 * withoutWasmTierUp, module `b` after it; both then run hot, far past V8's tiering budget. V8's own view: `a` is
 * still Liftoff code, `b` was optimised by TurboFan. The two modules differ in their export's name, so V8 cannot
 * share compiled code between them.
 */
const SCRIPT = `
const { withoutWasmTierUp } = require(process.argv[1]);
// (func (param i32) (result i32) (local i32) loop: s += n; n -= 1; br_if loop (n); s), exported as <name>
const mod = (name) => new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 6, 1, 0x60, 1, 0x7f, 1, 0x7f, 3, 2, 1, 0,
  7, 5, 1, 1, name.charCodeAt(0), 0, 0, 0x0a, 0x1b, 1, 0x19, 1, 1, 0x7f, 0x03, 0x40, 0x20, 1, 0x20, 0, 0x6a, 0x21, 1,
  0x20, 0, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b, 0x20, 1, 0x0b]);
const hot = (f) => { let s = 0; for (let i = 0; i < 3000; i++) s += f(10000); return s; };
(async () => {
  const a = await withoutWasmTierUp(async () => {
    const f = new WebAssembly.Instance(new WebAssembly.Module(mod('a'))).exports.a;
    f(1);
    return f;
  });
  const b = new WebAssembly.Instance(new WebAssembly.Module(mod('b'))).exports.b;
  if (a(4) !== 10 || b(4) !== 10) throw new Error('the test module computes the wrong sum');
  for (let round = 0; round < 5; round++) {
    hot(a);
    hot(b);
    await new Promise((r) => setTimeout(r, 100)); // tier-up compiles on a background thread
  }
  console.log(JSON.stringify({ aLiftoff: %IsLiftoffFunction(a), aTurbofan: %IsTurboFanFunction(a), bTurbofan: %IsTurboFanFunction(b) }));
})();
`;

describe('WebAssembly tier-up held off during the embedded store start (runtime/wasm-tiering)', () => {
  it('functions compiled inside stay on Liftoff however hot they run; functions compiled after still reach TurboFan', () => {
    const module = join(__dirname, '..', '..', 'src', 'runtime', 'wasm-tiering.js');
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '-e', SCRIPT, module], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.deepEqual(JSON.parse(out.trim()), { aLiftoff: true, aTurbofan: false, bTurbofan: true });
  });
});
