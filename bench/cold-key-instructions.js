#!/usr/bin/env node
'use strict';
// What a virtual key's first use costs above a warm call, counted by callgrind (main thread, as bench/instructions.js;
// JIT code named from V8's perf map). A gateway on PostgreSQL with --keys N keys (200,000; secrets sk-scale-<i>, as
// the scale bench's keys axis) is started under valgrind and waits for its bulk load; after a warm-up of both kinds,
// --rounds R (2) times: --calls N (3000) calls each with a key never used ("cold"), then as many with one key used
// all along ("warm"), each phase a callgrind dump of its own. Prints instructions per call of both, and the functions
// whose self cost per call differs most (cold − warm, summed over the rounds). Spend is written every second, as in
// production (--spend-write S to change it): a key's first use adds a row to the next write, a warm key does not.
// Results go to bench/results/*-cold-keys.json (`gateway`: cold, `baseline`: warm, `gatewayFunctions`: cold − warm,
// so `node bench/compare-instructions.js before.json after.json` compares two builds' first-use costs).
// Options: --warm N (4000 of each kind) --conns N (8) --top N (30) --dist DIR (another build). Needs valgrind.
const { execFileSync, execSync } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Pool } = require('undici');
const { concurrentCalls } = require('./load');
const P = require('./procs');
const C = require('./scale/common');
const { insertKeys } = require('./scale/keys');
const { callgrindArgs, functionCounts } = require('./callgrind-functions');

const ROOT = join(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : def);
const KEYS = opt('keys', 200_000);
const WARM = opt('warm', 4000);
const CALLS = opt('calls', 3000);
const ROUNDS = opt('rounds', 2);
const CONNS = opt('conns', 8);
const TOP = opt('top', 30);
const SPEND_WRITE = opt('spend-write', 1);
const DIST = args.includes('--dist') ? args[args.indexOf('--dist') + 1] : join(ROOT, 'dist');

async function main() {
  execSync('valgrind --version', { stdio: 'ignore' });
  if (KEYS < 1 + WARM + ROUNDS * CALLS) throw new Error(`--keys ${KEYS}: fewer than the fresh keys the calls use`);
  const work = mkdtempSync(join(tmpdir(), 'gw-cold-'));
  const upstream = await C.startUpstream();
  const db = await C.migratedDatabase();
  if (!db) throw new Error('needs PostgreSQL (BENCH_PG_URL)');
  try {
    await insertKeys(db.url, KEYS);
    const general = `  proxy_batch_write_at: ${SPEND_WRITE}\n  user_api_key_cache_ttl: 3600\n`;
    const config = C.writeConfig(C.deployment('scale-model', upstream.url), general);
    const port = await P.freePort();
    const out = join(work, 'gateway.cg');
    const gw = await P.start(
      'gateway',
      1,
      'valgrind',
      callgrindArgs(out, join(DIST, 'main.js'), ['--config', config.file]),
      {
        env: { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(config.dir, 'data'), DATABASE_URL: db.url },
        ready: async (o) =>
          o.includes('key cache loaded') && (await fetch(`http://127.0.0.1:${port}/health/liveliness`)).ok,
        timeoutMs: 900_000,
      },
    );
    const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNS });
    const body = C.chatBody('scale-model');
    // Key 1 is the warm key; every other call of a cold phase takes the next key never used.
    let next = 2;
    const cold = () => ({ 'content-type': 'application/json', authorization: `Bearer sk-scale-${next++}` });
    const warm = { 'content-type': 'application/json', authorization: 'Bearer sk-scale-1' };
    const run = (n, headers) => concurrentCalls(pool, { n, connections: CONNS, headers, body });
    const pause = () => new Promise((r) => setTimeout(r, 1500));
    const ctl = (...cmd) =>
      execFileSync('callgrind_control', [...cmd, String(gw.pid)], {
        env: { ...process.env, HOST: '127.0.0.1' },
        stdio: process.env.BENCH_DEBUG ? 'inherit' : 'ignore',
      });
    try {
      for (const share of [2, 4, 4]) {
        await run(WARM / share, cold);
        await run(WARM / share, warm);
        await pause();
      }
      for (let r = 0; r < ROUNDS; r++) {
        for (const headers of [cold, warm]) {
          ctl('-i', 'on');
          await run(CALLS, headers);
          ctl('-i', 'off');
          ctl('-d');
        }
      }
      await pause();
    } finally {
      await pool.close();
      await gw.stop();
    }
    const dumps = readdirSync(work)
      .map((f) => /^gateway\.cg\.(\d+)-01$/.exec(f))
      .filter(Boolean)
      .sort((a, b) => Number(a[1]) - Number(b[1]))
      .map((m) => join(work, m[0]));
    if (dumps.length !== 2 * ROUNDS) throw new Error(`${dumps.length} callgrind dumps in ${work}, not ${2 * ROUNDS}`);
    const totals = dumps.map((f) => Number(/^totals: (\d+)/m.exec(readFileSync(f, 'utf8'))[1]) / CALLS);
    // The perf map is read (and removed) with the first file: every dump is named from that one.
    const mapFile = `/tmp/perf-${gw.pid}.map`;
    const mapCopy = join(work, 'perf.map');
    writeFileSync(mapCopy, readFileSync(mapFile));
    const counts = dumps.map((f) => {
      writeFileSync(mapFile, readFileSync(mapCopy));
      return functionCounts(f, gw.pid);
    });
    const diff = new Map();
    counts.forEach((m, i) => {
      const sign = i % 2 === 0 ? 1 : -1;
      for (const [name, n] of m) diff.set(name, (diff.get(name) ?? 0) + (sign * n) / (CALLS * ROUNDS));
    });
    const rows = [...diff].map(([name, n]) => [name, Math.round(n)]).sort((a, b) => b[1] - a[1]);
    console.log(
      `\nfunctions with the most instructions per call, cold above warm (self cost, mean of ${ROUNDS} rounds):`,
    );
    for (const [name, n] of rows.slice(0, TOP)) console.log(`${String(n).padStart(8)}  ${name.slice(0, 110)}`);
    console.log('\nleast (warm above cold):');
    for (const [name, n] of rows.slice(-5)) console.log(`${String(n).padStart(8)}  ${name.slice(0, 110)}`);
    const k = (v) => `${(v / 1000).toFixed(1)} k`;
    for (let r = 0; r < ROUNDS; r++)
      console.log(`round ${r + 1}: cold ${k(totals[2 * r])}, warm ${k(totals[2 * r + 1])} instructions per call`);
    const mean = (odd) => totals.filter((_, i) => i % 2 === odd).reduce((a, b) => a + b, 0) / ROUNDS;
    console.log(
      `cold ${k(mean(0))}, warm ${k(mean(1))}: a first use costs ${k(mean(0) - mean(1))} more (${KEYS} keys, main thread)`,
    );
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    const file = join(__dirname, 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}-cold-keys.json`);
    const result = {
      date: new Date().toISOString(),
      keys: KEYS,
      calls: CALLS,
      rounds: ROUNDS,
      conns: CONNS,
      perCall: totals,
      gateway: mean(0),
      baseline: mean(1),
      gatewayFunctions: Object.fromEntries(rows.filter(([, n]) => Math.abs(n) >= 10)),
    };
    writeFileSync(file, JSON.stringify(result, null, 2));
    console.log(`results: ${file}\ncallgrind files: ${work}`);
  } finally {
    await upstream.stop();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
