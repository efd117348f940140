#!/usr/bin/env node
'use strict';
// `npm run bench:interleaved`: the gateway's requests/s and CPU per call against the baseline's, in short slices that
// alternate (baseline, gateway, baseline, ...), each gateway slice compared with the mean of the baseline slices just
// before and after it, so a drift of the machine's speed cancels out; CPU per call is read per thread from /proc
// (main thread, the rest: V8's GC and compiler helpers, libuv). With `--other <dist folder>` a second gateway build
// (e.g. a copy of `dist/` from before a change) runs beside this one and is measured in the same alternation: the way
// to compare two builds on a noisy machine. Virtual key, embedded store, 32 connections.
// With `--spend-logs-off` the other gateway is this build with general_settings.disable_spend_logs: what spend logs
// cost. `--pg`: the gateways on PostgreSQL (BENCH_PG_URL, default the local one) instead of the embedded store.
// `--team-key --beside-virtual-key`: the team key's gateway beside another of the same build called with a plain
// virtual key (no end user): the team path's cost, alternated with the figure it is held to.
// `--beside-limited-key`: beside a virtual key with the team key's limits on itself alone.
// Options: --pairs N (10) --slice S (2) --stream --other DIR --spend-logs-off --pg --team-key --beside-virtual-key
// --beside-limited-key --objects-unlimited
// --conns N (32)
const { readFileSync, readdirSync } = require('node:fs');
const { resolve } = require('node:path');
const P = require('./procs');
const { MASTER, writeBenchConfig } = require('./config');
const { autocannonRun } = require('./load');
const { BENCH_END_USER, generateLimitedKey, generateTeamKey, generateVirtualKey } = require('./credentials');
const { median } = require('./report');
const { repinnedToLoadCore, startBench, startGateway, startBaseline } = require('./setup');

if (repinnedToLoadCore(__filename)) return;
const args = process.argv.slice(2);
const arg = (name, def) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : def);
const PAIRS = Number(arg('pairs', 10));
const SLICE = Number(arg('slice', 2));
const CONNS = Number(arg('conns', 32));
const OTHER = arg('other', null);
const STREAM = args.includes('--stream');
const SPEND_LOGS_OFF = args.includes('--spend-logs-off');
const ON_PG = args.includes('--pg');
// --team-key: a key of a team and a user (each with limits), calling for an end user, as `npm run bench`'s team-key.
const TEAM_KEY = args.includes('--team-key');
const BESIDE_VIRTUAL_KEY = args.includes('--beside-virtual-key');
// --objects-unlimited: the team key, its team, user and end user without limits (the objects' own cost).
const OBJECTS_UNLIMITED = args.includes('--objects-unlimited');
// --beside-limited-key: beside a virtual key with the team key's limits on itself alone (what the objects add).
const BESIDE_LIMITED_KEY = args.includes('--beside-limited-key');
const callBody = (teamKey) =>
  JSON.stringify({
    model: 'bench-model',
    messages: [{ role: 'user', content: 'Say hello in five words.' }],
    ...(STREAM ? { stream: true } : {}),
    ...(teamKey ? { user: BENCH_END_USER } : {}),
  });

/**
 * CPU time in µs of a process's main thread and of all its other threads together; an embedded gateway's store
 * process (its spend writes) counts with the other threads.
 */
function threadCpu(pid) {
  const out = { main: 0, other: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out[tid === String(pid) ? 'main' : 'other'] += (Number(f[11]) + Number(f[12])) * 1e4; // CLK_TCK 100
  }
  const store = P.storePid(pid);
  if (store) out.other += P.cpuMicros(store);
  return out;
}

/** The credential of a target: the team key, a key with its limits alone ('limited'), or a plain key. */
function keyFor(teamKey, url) {
  if (teamKey === 'limited') return generateLimitedKey(url, MASTER);
  return teamKey ? generateTeamKey(url, MASTER, !OBJECTS_UNLIMITED) : generateVirtualKey(url, MASTER);
}

async function main() {
  const bench = await startBench('gw-interleaved-');
  const json = { 'content-type': 'application/json' };
  const procs = [bench.upstream];
  const dbs = [];
  /** `teamKey`: true for the team key, 'limited' for a key with its limits alone, false for a plain key. */
  const gateway = async (name, dist, configFile, teamKey = TEAM_KEY) => {
    const db = ON_PG ? await P.benchDatabase() : null;
    if (ON_PG && !db) throw new Error('--pg: no PostgreSQL answers at BENCH_PG_URL');
    if (db) dbs.push(db);
    const { proc, url } = await startGateway(name, bench, { dist, configFile, databaseUrl: db?.url ?? '' });
    procs.push(proc);
    return {
      name,
      url,
      pid: proc.pid,
      body: callBody(teamKey === true),
      headers: {
        ...json,
        authorization: `Bearer ${await keyFor(teamKey, url)}`,
      },
    };
  };
  const targets = [await gateway('gateway')];
  if (OTHER) targets.push(await gateway('other', resolve(OTHER)));
  if (BESIDE_VIRTUAL_KEY) targets.push(await gateway('vkey', undefined, undefined, false));
  if (BESIDE_LIMITED_KEY) targets.push(await gateway('limited', undefined, undefined, 'limited'));
  if (SPEND_LOGS_OFF)
    targets.push(
      await gateway(
        'no-logs',
        undefined,
        writeBenchConfig(bench.work, bench.upUrl, { spendLogs: false, name: 'no-logs' }),
      ),
    );
  const bl = await startBaseline(bench);
  procs.push(bl.proc);
  const baseline = { name: 'baseline', url: bl.url, pid: bl.proc.pid, headers: json, body: callBody(TEAM_KEY) };
  const totals = new Map([baseline, ...targets].map((t) => [t.name, { calls: 0, main: 0, other: 0 }]));
  const slice = async (t, seconds, count = true) => {
    const before = threadCpu(t.pid);
    const r = await autocannonRun({
      url: t.url,
      path: '/v1/chat/completions',
      headers: t.headers,
      body: t.body,
      connections: CONNS,
      durationSec: seconds,
    });
    if (r.non2xx || r.errors) throw new Error(`${t.name}: ${r.non2xx} non-2xx answers and ${r.errors} errors`);
    const after = threadCpu(t.pid);
    if (count) {
      const tot = totals.get(t.name);
      tot.calls += r.total;
      tot.main += after.main - before.main;
      tot.other += after.other - before.other;
    }
    return r.rps;
  };
  try {
    // Warm-up: JIT, pools, caches; then one pair not counted (its gateway slice ran low in every run even after 8 s).
    for (const t of [baseline, ...targets]) await slice(t, 5, false);
    const ratios = new Map(targets.map((t) => [t.name, []]));
    for (let pair = 0; pair <= PAIRS; pair++) {
      const counted = pair > 0;
      let before = await slice(baseline, SLICE, counted);
      for (const t of targets) {
        const rps = await slice(t, SLICE, counted);
        const after = await slice(baseline, SLICE, counted);
        if (counted) ratios.get(t.name).push(rps / ((before + after) / 2));
        before = after;
      }
      process.stderr.write(counted ? `pair ${pair}/${PAIRS} done\n` : 'warm-up pair done\n');
    }
    console.log(
      `\n${STREAM ? 'streaming' : 'non-streaming'}, ${ON_PG ? 'PostgreSQL' : 'embedded store'}, ${CONNS} connections, ${PAIRS} pairs of ${SLICE} s slices${OTHER ? `; other: ${OTHER}` : ''}`,
    );
    for (const [name, rs] of ratios)
      console.log(
        `${name.padEnd(8)} RPS / baseline RPS: median ${median(rs).toFixed(3)} (${rs.map((r) => r.toFixed(2)).join(' ')})`,
      );
    for (const [name, t] of totals) {
      const per = (us) => (us / t.calls).toFixed(1);
      console.log(
        `${name.padEnd(8)} CPU µs per call: ${per(t.main + t.other)} (main thread ${per(t.main)}, other threads ${per(t.other)}) over ${t.calls} calls`,
      );
    }
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    for (const db of dbs) await db.drop();
    await bench.jwks.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
