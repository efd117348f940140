#!/usr/bin/env node
'use strict';
// What the per-second spend write costs PostgreSQL per key written, with keys used at random over a large table (the
// keys axis of bench:scale, calls spread over every key). A fresh database gets N keys (default 1,000,000; as
// bench/scale/keys.js), then R statements (30) each write K random keys (7,000: a second of calls at full speed);
// prints per statement its time and the backend's CPU per key (from /proc, 10 ms ticks: compare means over many
// statements), and their mean over all but the first five. Counts no instructions: run alternated builds or schemas.
//   node bench/spend-write-cost.js [N] [K] [R]
// Env: DB_URL=<url> reuses a database already filled (and keeps it); EXPLAIN=1 prints EXPLAIN (ANALYZE, BUFFERS, WAL)
// of the last statement instead of running the others plainly; PERF=<file> records the backend with perf (callers).
const { readFileSync } = require('node:fs');
const { spawn } = require('node:child_process');
const { createHash, randomBytes } = require('node:crypto');
const { Client } = require('pg');
const C = require('./scale/common');
const { insertKeys } = require('./scale/keys');
const { spendStatement } = require('../dist/keys/budget/spend-statement.js');

const [N, K, R] = [1_000_000, 7000, 30].map((d, i) => Number(process.argv[2 + i] ?? d));

function backendCpuUs(pid) {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(st[11]) + Number(st[12])) * 10_000;
}

(async () => {
  const db = process.env.DB_URL ? { url: process.env.DB_URL, drop: async () => {} } : await C.migratedDatabase();
  if (!db) throw new Error('needs PostgreSQL (BENCH_PG_URL)');
  if (!process.env.DB_URL) await insertKeys(db.url, N);
  const c = new Client({ connectionString: db.url });
  await c.connect();
  await c.query('VACUUM ANALYZE virtual_keys');
  const pid = (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p;
  const perf = process.env.PERF
    ? spawn('perf', ['record', '-F', '2000', '-g', '-p', String(pid), '-o', process.env.PERF], { stdio: 'ignore' })
    : null;
  const perKey = [];
  for (let r = 0; r < R; r++) {
    const keys = new Map();
    while (keys.size < K) {
      const secret = `sk-scale-${1 + Math.floor(Math.random() * N)}`;
      keys.set(createHash('sha256').update(secret).digest('hex'), 0.0001);
    }
    const s = spendStatement(randomBytes(12).toString('hex'), keys, new Map(), new Map(), new Map());
    const explain = process.env.EXPLAIN && r === R - 1;
    const c0 = backendCpuUs(pid);
    const t0 = process.hrtime.bigint();
    const res = await c.query((explain ? 'EXPLAIN (ANALYZE, BUFFERS, WAL) ' : '') + s.text, s.values);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // The backend's CPU counters settle a moment after the answer.
    await new Promise((resolve) => setTimeout(resolve, 50));
    perKey.push((backendCpuUs(pid) - c0) / K);
    console.log(`statement ${r + 1}: ${ms.toFixed(1)} ms, backend CPU ${perKey[r].toFixed(1)} µs a key`);
    if (explain) console.log(res.rows.map((x) => x['QUERY PLAN'].slice(0, 300)).join('\n'));
  }
  const steady = perKey.slice(5);
  console.log(
    `mean over statements 6-${R}: ${(steady.reduce((a, b) => a + b, 0) / steady.length).toFixed(1)} µs a key`,
  );
  if (perf) {
    perf.kill('SIGINT');
    await new Promise((resolve) => perf.on('exit', resolve));
  }
  await c.end();
  await db.drop();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
