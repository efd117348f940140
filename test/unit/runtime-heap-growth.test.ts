import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

/**
 * In a fresh process with the gateway's V8 settings (runtime-flags.ts): ~30 MB that stays, plus a ring of small
 * objects that each outlive two scavenges (promoted, then dropped), the way in-flight calls behave under load.
 * V8's trace of every full GC: the old generation may grow to 1.5 x what survived the last one, plus the young
 * generation it promotes from; V8's own default lets it reach ~4 x here.
 */
const SCRIPT = `
require(process.argv[1]);
const live = [];
for (let i = 0; i < 300; i++) live.push(new Array(12500).fill(i));
const N = 400000;
const ring = new Array(N);
for (let i = 0; i < 6000000; i++) ring[i % N] = { a: i, b: [i, i + 1] };
console.log('kept', live.length);
`;

describe("the old generation's growth between full GCs is bounded (runtime-flags)", () => {
  it('never grows past 2.5 x what the previous full GC kept', () => {
    const flags = join(__dirname, '..', '..', 'src', 'runtime-flags.js');
    const out = execFileSync(process.execPath, ['--trace-gc', '-e', SCRIPT, flags], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const gcs = [...out.matchAll(/Mark-Compact ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/g)].map((m) => ({
      before: Number(m[1]),
      after: Number(m[2]),
    }));
    assert.ok(gcs.length >= 4, `expected several full GCs, got:\n${out.slice(0, 3000)}`);
    // From the second on: each full GC started before the heap reached 2.5 x what the one before it kept.
    const growth = gcs.slice(1).map((gc, i) => gc.before / gcs[i].after);
    assert.ok(Math.max(...growth) < 2.5, `growth factors ${growth.map((g) => g.toFixed(2)).join(', ')}`);
  });
});
