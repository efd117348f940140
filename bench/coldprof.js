'use strict';
// Per phase (warm: one key; spread: a random key of N per call), 15 s of calls to a gateway on N keys: requests/s,
// gateway CPU per call, PostgreSQL CPU per call by process, each core's use. PROF=1: the gateway writes a V8 CPU profile
// to /tmp/prof.   node bench/coldprof.js N warm,spread,...
const C = require('./scale/common');
const { insertKeys } = require('./scale/keys');
const { readFileSync, readdirSync } = require('node:fs');
function pgCpu() {
  let tot = 0;
  const by = {};
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (!cmd.startsWith('postgres')) continue;
      const st = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      const t = (Number(st[11]) + Number(st[12])) * 10000;
      tot += t;
      const k = cmd.replace(/\0/g, ' ').slice(0, 40);
      by[k] = (by[k] ?? 0) + t;
    } catch {
      // the process ended meanwhile
    }
  }
  return { tot, by };
}
function cpuStat() {
  const l = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((x) => /^cpu\d/.test(x));
  return l.map((x) => x.split(/\s+/).slice(1, 8).map(Number));
}
function busy(a, b) {
  return a.map((x, i) => {
    const d = b[i].map((v, j) => v - x[j]);
    const tot = d.reduce((s, v) => s + v, 0);
    return ((tot - d[3]) / tot).toFixed(2);
  });
}
(async () => {
  const n = Number(process.argv[2] ?? 1000000);
  const mode = process.argv[3] ?? 'spread';
  const up = await C.startUpstream();
  const db = await C.migratedDatabase();
  if (process.env.FF)
    await C.withClient(db.url, (c) => c.query('ALTER TABLE virtual_keys SET (fillfactor = ' + process.env.FF + ')'));
  await insertKeys(db.url, n);
  const config = C.writeConfig(C.deployment('scale-model', up.url));
  const nodeArgs = process.env.PROF ? '--cpu-prof --cpu-prof-dir=/tmp/prof' : '';
  const gw = await C.startGateway('gw', config, { databaseUrl: db.url, mark: /key cache loaded/, nodeArgs });
  await new Promise((r) => setTimeout(r, 4000));
  const body = C.chatBody('scale-model');
  const anyKey = () => `sk-scale-${1 + Math.floor(Math.random() * n)}`;
  for (const m of mode.split(',')) {
    const key = m === 'warm' ? () => 'sk-scale-1' : anyKey;
    const p0 = pgCpu();
    const s0 = cpuStat();
    const r = await C.load({ url: gw.url, body, durationSec: 15, pid: gw.pid, key });
    const p1 = pgCpu();
    const s1 = cpuStat();
    const by = {};
    for (const k in p1.by) by[k] = ((p1.by[k] - (p0.by[k] ?? 0)) / r.calls).toFixed(1);
    console.log(
      m,
      Math.round(r.rps),
      'gw us/call',
      r.cpuUsPerCall.toFixed(1),
      'pg us/call',
      ((p1.tot - p0.tot) / r.calls).toFixed(1),
      'cores busy',
      busy(s0, s1),
      JSON.stringify(by),
    );
  }
  await gw.stop();
  await db.drop();
  await up.stop?.();
  process.exit(0);
})();
