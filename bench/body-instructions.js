#!/usr/bin/env node
'use strict';
// Instructions per call of chat calls with a big body (the scale bench's bodies axis, counted): valgrind's callgrind
// runs the built gateway (a virtual key; PostgreSQL when one answers at BENCH_PG_URL, else embedded) or, with
// --floor, bench/scale/body-floor.js (read, JSON.parse, one write upstream), with the young generation fixed as in
// bench/instructions.js, and counts `--calls` calls after `--warm`, on the main thread and on every thread: with big
// bodies V8's helper threads (concurrent marking, sweeping) do a large share of the work, and whether they must
// depends on what the main thread leaves alive.
// Usage: node bench/body-instructions.js --bytes 1048576 [--warm 150] [--calls 60] [--conns 4] [--floor] [--dist DIR]
const { execFileSync } = require('node:child_process');
const { mkdtempSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Pool } = require('undici');
const { concurrentCalls } = require('./load');
const P = require('./procs');

const ROOT = join(__dirname, '..');
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : def);
const BYTES = Number(opt('bytes', 1 << 20));
const WARM = Number(opt('warm', 150));
const CALLS = Number(opt('calls', 60));
const CONNS = Number(opt('conns', 4));
const FLOOR = args.includes('--floor');
const DIST = opt('dist', join(ROOT, 'dist'));
const MASTER = 'sk-body-instructions-master';
const body = JSON.stringify({ model: 'scale-model', messages: [{ role: 'user', content: 'x'.repeat(BYTES) }] });

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'gw-body-instr-'));
  const upPort = await P.freePort();
  const up = await P.start('upstream', 1, process.execPath, [join(__dirname, 'scale', 'upstream.js'), String(upPort)], {
    ready: async (o) => o.includes('ready'),
  });
  const upUrl = `http://127.0.0.1:${upPort}`;
  const config = join(work, 'config.yaml');
  writeFileSync(
    config,
    `model_list:\n  - model_name: scale-model\n    litellm_params: { model: openai/gpt-scale, api_base: ${upUrl}, api_key: sk-up }\n` +
      `general_settings:\n  master_key: ${MASTER}\n  proxy_batch_write_at: 3600\n  user_api_key_cache_ttl: 3600\n`,
  );
  const pg = FLOOR ? null : await P.benchDatabase();
  const port = await P.freePort();
  const url = `http://127.0.0.1:${port}`;
  const out = join(work, 'target.cg');
  const script = FLOOR
    ? [join(__dirname, 'scale', 'body-floor.js'), String(port), upUrl]
    : [join(DIST, 'main.js'), '--config', config];
  const valgrind = ['--tool=callgrind', '--instr-atstart=no', '--separate-threads=yes', `--callgrind-out-file=${out}`];
  const v8 = ['--min-semi-space-size=16', '--max-semi-space-size=16'];
  const proc = await P.start('target', 0, 'valgrind', [...valgrind, process.execPath, ...v8, ...script], {
    env: { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(work, 'data'), DATABASE_URL: pg ? pg.url : '' },
    ready: FLOOR ? async (o) => o.includes('ready') : async () => (await fetch(`${url}/health/liveliness`)).ok,
    timeoutMs: 600_000,
  });
  try {
    const key = FLOOR ? 'none' : await virtualKey(url);
    const pool = new Pool(url, { connections: CONNS });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
    const run = (n) => concurrentCalls(pool, { n, connections: CONNS, headers, body });
    await run(WARM);
    await new Promise((r) => setTimeout(r, 1500));
    const ctl = (...cmd) =>
      execFileSync('callgrind_control', [...cmd, String(proc.pid)], {
        env: { ...process.env, HOST: '127.0.0.1' },
        stdio: 'ignore',
      });
    ctl('-i', 'on');
    await run(CALLS);
    ctl('-i', 'off');
    ctl('-d');
    await new Promise((r) => setTimeout(r, 1500));
    await pool.close();
  } finally {
    await proc.stop();
    await up.stop();
    await pg?.drop();
  }
  // The dump's files, one per thread: `target.cg.1-<thread>` (thread 01 is the main thread).
  let main = 0;
  let all = 0;
  for (const f of readdirSync(work)) {
    if (!f.startsWith('target.cg.1-')) continue;
    const m = /^totals: (\d+)/m.exec(readFileSync(join(work, f), 'utf8'));
    if (!m) continue;
    all += Number(m[1]);
    if (f === 'target.cg.1-01') main = Number(m[1]);
  }
  const M = (n) => `${(n / CALLS / 1e6).toFixed(2)} M`;
  console.log(
    `${FLOOR ? 'floor' : DIST}, ${BYTES} bytes: ${M(main)} instructions per call on the main thread, ${M(all)} on every ` +
      `thread (${CALLS} calls after ${WARM})\ncallgrind files: ${work}`,
  );
}

async function virtualKey(url) {
  const res = await fetch(`${url}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
    body: '{}',
  });
  if (res.status !== 200) throw new Error(`/key/generate: ${res.status}`);
  return (await res.json()).key;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
