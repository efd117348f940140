'use strict';
// Per-function instruction counts from a callgrind output file, with V8's JIT code named: callgrind knows JIT code
// only by address, and node run with --perf-basic-prof writes /tmp/perf-<pid>.map (start, size, name per code
// object). Used by bench/instructions.js to show where the gateway's instructions above the baseline's go.
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync, rmSync } = require('node:fs');

/** The code objects of a perf map, sorted by start address. */
function readPerfMap(file) {
  if (!existsSync(file)) return [];
  const ranges = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [start, size, ...name] = line.split(' ');
    if (name.length)
      ranges.push({ start: parseInt(start, 16), end: parseInt(start, 16) + parseInt(size, 16), name: name.join(' ') });
  }
  return ranges.sort((a, b) => a.start - b.start);
}

function nameAt(ranges, addr) {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid].start <= addr) lo = mid + 1;
    else hi = mid - 1;
  }
  const r = ranges[hi];
  return r && addr < r.end ? r.name : undefined;
}

/** Instructions per function (self cost) in `cgFile`, JIT code named from the process's perf map (then removed). */
function functionCounts(cgFile, pid) {
  const mapFile = `/tmp/perf-${pid}.map`;
  const ranges = readPerfMap(mapFile);
  rmSync(mapFile, { force: true });
  const text = execFileSync('callgrind_annotate', ['--threshold=100', cgFile], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const counts = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!m || m[2].includes('PROGRAM TOTALS')) continue;
    let name = m[2].replace(/^\?\?\?:/, '').replace(/ \[\/usr\/bin\/node\]$/, '');
    const jit = /^0x([0-9a-f]+)/.exec(name);
    if (jit)
      name = `JS ${(nameAt(ranges, parseInt(jit[1], 16)) ?? 'unnamed JIT code').replace(/^(JS|LazyCompile|Function):/, '')}`;
    name = name.split(process.cwd() + '/').join('');
    counts.set(name, (counts.get(name) ?? 0) + Number(m[1].replace(/,/g, '')));
  }
  return counts;
}

/** The `n` functions whose per-call count grew most from `base` to `target`: [{ name, perCall }]. */
function topDifferences(base, target, calls, n) {
  const names = new Set([...base.keys(), ...target.keys()]);
  return [...names]
    .map((name) => ({ name, perCall: Math.round(((target.get(name) ?? 0) - (base.get(name) ?? 0)) / calls) }))
    .sort((a, b) => b.perCall - a.perCall)
    .slice(0, n);
}

/** V8 with its young generation fixed, and --perf-basic-prof so callgrind's JIT addresses can be named. */
const V8_FLAGS = ['--min-semi-space-size=16', '--max-semi-space-size=16', '--perf-basic-prof'];

/**
 * valgrind's arguments to count `script args` run by this node under callgrind into `out`: counting off until
 * callgrind_control turns it on, one file per thread.
 */
function callgrindArgs(out, script, args) {
  return [
    '--tool=callgrind',
    '--instr-atstart=no',
    '--separate-threads=yes',
    `--callgrind-out-file=${out}`,
    process.execPath,
    ...V8_FLAGS,
    script,
    ...args,
  ];
}

module.exports = { callgrindArgs, functionCounts, topDifferences };
