'use strict';
// Two `npm run bench:instructions` results side by side, per gateway function (self instructions per call): what a
// change moved, where the whole-call totals are too noisy to tell. Usage:
//   node bench/compare-instructions.js <before.json> <after.json> [--top N]
const { readFileSync } = require('node:fs');

const [a, b] = process.argv.slice(2).filter((x) => x.endsWith('.json'));
const top = process.argv.includes('--top') ? Number(process.argv[process.argv.indexOf('--top') + 1]) : 30;
if (!a || !b) {
  console.error('usage: node bench/compare-instructions.js <before.json> <after.json> [--top N]');
  process.exit(2);
}
const before = JSON.parse(readFileSync(a, 'utf8'));
const after = JSON.parse(readFileSync(b, 'utf8'));
// A build run from another folder (`--dist`) names its functions by that folder: compared by the path under dist/.
const byDist = (fns) => {
  const out = {};
  for (const [name, n] of Object.entries(fns ?? {})) {
    const key = name.replace(/\S*\/dist\//g, 'dist/').replace(/:\d+:\d+$/, '');
    out[key] = (out[key] ?? 0) + n;
  }
  return out;
};
before.gatewayFunctions = before.gatewayFunctions && byDist(before.gatewayFunctions);
after.gatewayFunctions = after.gatewayFunctions && byDist(after.gatewayFunctions);
if (!before.gatewayFunctions || !after.gatewayFunctions) {
  console.error('both results need gatewayFunctions (runs of bench/instructions.js from this version on)');
  process.exit(2);
}
const names = new Set([...Object.keys(before.gatewayFunctions), ...Object.keys(after.gatewayFunctions)]);
const rows = [...names]
  .map((name) => {
    const x = before.gatewayFunctions[name] ?? 0;
    const y = after.gatewayFunctions[name] ?? 0;
    return { name, before: x, after: y, change: y - x };
  })
  .sort((p, q) => Math.abs(q.change) - Math.abs(p.change))
  .slice(0, top);
const k = (v) => `${(v / 1000).toFixed(1)} k`;
console.log(
  `gateway per call: ${k(before.gateway)} -> ${k(after.gateway)} (baseline ${k(before.baseline)}, ${k(after.baseline)})`,
);
for (const r of rows)
  console.log(
    `${String(r.change > 0 ? `+${r.change}` : r.change).padStart(7)} ${String(r.before).padStart(6)} -> ${String(r.after).padEnd(6)} ${r.name.slice(0, 100)}`,
  );
