#!/usr/bin/env node
'use strict';
// `npm run bench:scale` (or `npm run bench -- --scale`): how the gateway's cost grows along the axes real
// deployments differ on. Each axis runs alone with `--scale <axis>` (or several: `--scale keys,bodies`):
//   keys         N keys in PostgreSQL, calls uniform over all of them from a cold start (--points 10000,100000,1000000)
//   bodies       1 KB / 100 KB / 1 MB / 5 MB bodies: CPU per MB, peak RSS
//   streams      20 / 2,000 / 20,000 chunks: CPU per chunk, gateway and baseline forwarder
//   connections  idle keep-alive connections (--idle 10000) and slow streams (--slow 1000): RSS per connection
//   config       1,000 deployments in 300 groups: start time, CPU per call
//   instances    two instances with Redis limits: Redis commands per call, latency
// Options: --duration S (5 per measurement), --cold S (30: the keys axis's window from start), --max-keys N
// (general_settings.key_cache_max_keys for the keys axis), --soak S (keys, bodies, streams: S more seconds at the
// axis's largest point, RSS read every 10 s; 300 for the flat-memory check).
// PostgreSQL at BENCH_PG_URL (default the local one), Redis at BENCH_REDIS_URL (default the local one).
// Results are printed and written to bench/results/scale-*.json.
const { execSync, spawnSync } = require('node:child_process');
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const P = require('./procs');
const C = require('./scale/common');
const { repinnedToLoadCore } = require('./setup');

const AXES = ['keys', 'bodies', 'streams', 'connections', 'config', 'instances'];
const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
};

// The connections axis holds thousands of sockets here too: run again with a raised file limit.
if (!process.env.BENCH_ULIMIT) {
  const res = spawnSync(
    'bash',
    ['-c', `ulimit -n 65536 2>/dev/null; exec "${process.execPath}" "${__filename}" "$@"`, 'x', ...args],
    {
      stdio: 'inherit',
      env: { ...process.env, BENCH_ULIMIT: '1' },
    },
  );
  process.exit(res.status ?? 1);
}
if (repinnedToLoadCore(__filename)) return;

async function main() {
  const which = (arg('scale') && !arg('scale').startsWith('--') ? arg('scale') : AXES.join(',')).split(',');
  for (const a of which) if (!AXES.includes(a)) throw new Error(`unknown axis ${a}: one of ${AXES.join(', ')}`);
  const ROOT = join(__dirname, '..');
  if (which.includes('streams')) execSync('npx tsc -p tsconfig.bench.json', { cwd: ROOT, stdio: 'inherit' });
  const opts = {
    durationSec: Number(arg('duration') ?? 5),
    coldSec: Number(arg('cold') ?? 30),
    soakSec: arg('soak') ? Number(arg('soak')) : 0,
    points: arg('points')?.split(',').map(Number),
    maxKeys: arg('max-keys') ? Number(arg('max-keys')) : undefined,
    idle: Number(arg('idle') ?? 10_000),
    slow: Number(arg('slow') ?? 1_000),
    redisUrl: process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379',
  };
  const upstream = await C.startUpstream();
  const results = {};
  try {
    for (const axis of which) {
      const db = axis === 'keys' ? null : await P.benchDatabase();
      try {
        const run = require(`./scale/${axis === 'config' ? 'config-axis' : axis}`)[`${axis}Axis`];
        results[axis] = await run(upstream, { ...opts, databaseUrl: db?.url ?? '' });
      } finally {
        await db?.drop();
      }
      console.log(`\n${axis}`);
      console.table(results[axis].map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'soak'))));
      for (const row of results[axis]) if (row.soak) console.log('RSS over a long run:', JSON.stringify(row.soak));
    }
  } finally {
    await upstream.stop();
  }
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  const file = join(__dirname, 'results', `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), opts, results }, null, 2));
  console.log(`\nwritten to ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
