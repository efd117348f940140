#!/usr/bin/env node
'use strict';
// `npm run bench:instructions`: instructions per call (non-streaming; streaming with --stream), counted by valgrind's callgrind, for the
// baseline and the gateway (master key; --virtual-key for a virtual key; --team-key for a key of a team and a user calling for an end user; --limited-key for a virtual key with the team key's limits on itself alone; --objects-unlimited with --team-key: its key, team, user and end user without limits; PostgreSQL store when one answers at
// BENCH_PG_URL, else embedded).
// Machine noise moves requests/s by tens of per cent between runs; an instruction count does not move with it, so
// this is the number to compare two builds by. Only the main thread is counted (V8's compiler and GC helper threads
// vary from run to run), with a fixed young generation (so the number of scavenges depends on the calls, not on
// V8's sizing heuristics). Work done per interval of wall time is not per call: under valgrind (~50x slower) it
// is counted against ~50x fewer calls. So the gateway writes spend once an hour here
// (general_settings.proxy_batch_write_at; in production a write per second costs ~5 ms of CPU on the embedded
// store, well under a microsecond per call at full load), and the access log's batches (a write per 50 ms or
// 16 KiB) hold fewer lines than at full speed, which counts a little against the gateway. Likewise the key cache
// re-reads its keys once an hour here (general_settings.user_api_key_cache_ttl): its re-read every 30 s (one query,
// a few milliseconds) fell inside the counted calls of --virtual-key and added ~15-20 k instructions per call.
// Options: --warm N (10000) --calls N (3000) --conns N (8) --top N (25 functions listed) --stream (streaming calls)
// --virtual-key --spend-logs-off (general_settings.disable_spend_logs) --dist DIR. Needs valgrind; takes a few minutes.
const { execFileSync, execSync } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Pool } = require('undici');
const { concurrentCalls } = require('./load');
const P = require('./procs');
const { MASTER, writeBenchConfig } = require('./config');
const { BENCH_END_USER, generateLimitedKey, generateTeamKey, generateVirtualKey } = require('./credentials');
const { callgrindArgs, functionCounts, topDifferences } = require('./callgrind-functions');

const ROOT = join(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : Number(args[i + 1]);
};
const WARM = opt('warm', 10_000);
const CALLS = opt('calls', 3000);
const CONNS = opt('conns', 8);
const TOP = opt('top', 25);
const STREAM = args.includes('--stream');
const TEAM_KEY = args.includes('--team-key');
// --limited-key: a virtual key with the team key's limits on itself alone (no team, user or end user).
const LIMITED_KEY = args.includes('--limited-key');
const MASTER_KEY = !args.includes('--virtual-key') && !TEAM_KEY && !LIMITED_KEY;
const CREDENTIAL = MASTER_KEY
  ? 'master key'
  : TEAM_KEY
    ? 'key of a team and a user, for an end user'
    : LIMITED_KEY
      ? 'virtual key with limits'
      : 'virtual key';
// --dist DIR: another build of the gateway (a copy of dist/ from before a change, kept inside a checkout whose
// node_modules it can load), to compare two builds.
const DIST = args.includes('--dist') ? args[args.indexOf('--dist') + 1] : join(ROOT, 'dist');
const body = JSON.stringify({
  model: 'bench-model',
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
  ...(STREAM ? { stream: true } : {}),
  ...(TEAM_KEY ? { user: BENCH_END_USER } : {}),
});

/**
 * Main-thread instructions per call of one target (`{ name, core, port, script, args, env, ready, headers }`) run
 * under callgrind; its output files go to `work`. `headers`: a function that returns the request headers once the
 * target is ready.
 */
async function count(t, work) {
  const { name } = t;
  const out = join(work, `${name}.cg`);
  // callgrind_control finds the process by a file named after HOST: the same value on both sides.
  const env = { ...t.env, HOST: '127.0.0.1' };
  const proc = await P.start(name, t.core, 'valgrind', callgrindArgs(out, t.script, t.args), {
    env,
    ready: t.ready,
    timeoutMs: 600_000,
  });
  const headers = await t.headers();
  const pool = new Pool(`http://127.0.0.1:${t.port}`, { connections: CONNS });
  const callHeaders = { 'content-type': 'application/json', ...headers };
  const run = (n) =>
    concurrentCalls(pool, { n, connections: CONNS, headers: callHeaders, body }).catch((err) => {
      throw new Error(`${name} ${err.message}`);
    });
  const pause = () => new Promise((r) => setTimeout(r, 1500));
  try {
    // Warm-up in three bursts with pauses: the pauses run what idle time runs, so its deoptimisations happen here.
    await run(WARM / 2);
    await pause();
    await run(WARM / 4);
    await pause();
    await run(WARM / 4);
    const ctl = (...cmd) =>
      execFileSync('callgrind_control', [...cmd, String(proc.pid)], {
        env: { ...process.env, HOST: '127.0.0.1' },
        stdio: process.env.BENCH_DEBUG ? 'inherit' : 'ignore',
      });
    ctl('-i', 'on');
    await run(CALLS);
    ctl('-i', 'off');
    ctl('-d');
    await pause();
  } finally {
    await pool.close();
    await proc.stop();
  }
  // The dump's file for thread 1 (`<name>.cg.1-01`); `<name>.cg-01` is the empty one written at exit.
  const main = readdirSync(work).find((f) => f.startsWith(`${name}.cg.`) && f.endsWith('-01'));
  const m = main && /^totals: (\d+)/m.exec(readFileSync(join(work, main), 'utf8'));
  if (!m) throw new Error(`no callgrind totals for ${name}`);
  return { perCall: Number(m[1]) / CALLS, functions: functionCounts(join(work, main), proc.pid) };
}

async function main() {
  try {
    execSync('valgrind --version', { stdio: 'ignore' });
  } catch {
    console.error('valgrind is not installed (Debian: apt-get install valgrind)');
    process.exit(2);
  }
  execSync('npx tsc -p tsconfig.bench.json', { cwd: ROOT, stdio: 'inherit' });
  const work = mkdtempSync(join(tmpdir(), 'gw-instr-'));
  const upPort = await P.freePort();
  const upstream = await P.start('upstream', 1, process.execPath, [join(__dirname, 'upstream.js'), String(upPort)], {
    ready: async (o) => o.includes('ready'),
  });
  const upUrl = `http://127.0.0.1:${upPort}`;
  const configFile = writeBenchConfig(work, upUrl, {
    spendWriteSec: 3600,
    keyCacheTtlSec: 3600,
    spendLogs: !args.includes('--spend-logs-off'),
  });
  const pg = await P.benchDatabase();
  const blPort = await P.freePort();
  const gwPort = await P.freePort();
  const live = (port) => async () => (await fetch(`http://127.0.0.1:${port}/health/liveliness`)).ok;
  try {
    // Both at once, each on its own core (valgrind runs a process's threads one at a time).
    const [baseline, gateway] = await Promise.all([
      count(
        {
          name: 'baseline',
          core: 0,
          port: blPort,
          script: join(ROOT, 'dist-bench', 'bench', 'baseline.js'),
          args: [String(blPort), upUrl],
          env: {},
          ready: async (o) => o.includes('ready'),
          headers: async () => ({}),
        },
        work,
      ),
      count(
        {
          name: 'gateway',
          core: 1,
          port: gwPort,
          script: join(DIST, 'main.js'),
          args: ['--config', configFile],
          env: {
            PORT: String(gwPort),
            DATA_DIR: join(work, 'data'),
            LOG_LEVEL: 'info',
            DATABASE_URL: pg ? pg.url : '',
          },
          ready: live(gwPort),
          headers: async () => {
            const url = `http://127.0.0.1:${gwPort}`;
            const key = MASTER_KEY
              ? MASTER
              : TEAM_KEY
                ? await generateTeamKey(url, MASTER, !args.includes('--objects-unlimited'))
                : LIMITED_KEY
                  ? await generateLimitedKey(url, MASTER)
                  : await generateVirtualKey(url, MASTER);
            return { authorization: `Bearer ${key}` };
          },
        },
        work,
      ),
    ]);
    const top = topDifferences(baseline.functions, gateway.functions, CALLS, TOP);
    console.log(
      `\nfunctions with the most instructions per call above the baseline (self cost; JS by V8's code names):`,
    );
    for (const t of top) console.log(`${String(t.perCall).padStart(8)}  ${t.name.slice(0, 110)}`);
    const line = (n, v) => `${n.padEnd(28)} ${(v / 1000).toFixed(1).padStart(7)} k instructions per call`;
    console.log(
      `\n${line('baseline', baseline.perCall)}\n${line(`gateway (${CREDENTIAL}, ${pg ? 'PostgreSQL' : 'embedded'})`, gateway.perCall)}`,
    );
    console.log(
      `gateway / baseline: ${(gateway.perCall / baseline.perCall).toFixed(3)}  (${CALLS} ${STREAM ? 'streaming' : 'non-streaming'} calls after ${WARM} warm-up calls, main thread)`,
    );
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    const file = join(__dirname, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}-instructions.json`);
    writeFileSync(
      file,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          stream: STREAM,
          warm: WARM,
          calls: CALLS,
          conns: CONNS,
          store: pg ? 'postgres' : 'embedded',
          credential: MASTER_KEY ? 'master' : TEAM_KEY ? 'team' : LIMITED_KEY ? 'limited' : 'virtual',
          baseline: baseline.perCall,
          gateway: gateway.perCall,
          aboveBaseline: top,
          // Every gateway function of 10 or more instructions per call: `bench/compare-instructions.js` diffs two runs.
          gatewayFunctions: Object.fromEntries(
            [...gateway.functions]
              .map(([name, n]) => [name, Math.round(n / CALLS)])
              .filter(([, n]) => n >= 10)
              .sort((a, b) => b[1] - a[1]),
          ),
        },
        null,
        2,
      ),
    );
    console.log(`results: ${file}\ncallgrind files (per function: callgrind_annotate <name>.cg.1-01): ${work}`);
  } finally {
    await upstream.stop();
    await pg?.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
