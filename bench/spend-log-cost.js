#!/usr/bin/env node
'use strict';
// What a spend log row costs the store that writes it: rows shaped as the gateway's (its id and request id forms, a
// virtual key's calls to one deployment, start times of ~20,000 calls a second) go through the gateway's own writer
// (`SpendLogStore.write` of `BinaryRows` batches) into a fresh embedded store (its process) or a fresh PostgreSQL
// database (its backends); the store's CPU per row is read from /proc around each batch (10 ms ticks: read the mean),
// and the WAL it wrote. `--callgrind DIR` (embedded store) also counts the store process's instructions per row, which
// no machine noise moves (its batches take ~50 times longer: use --batch 1000 and fewer --rows).
//   node bench/spend-log-cost.js [--store embedded|pg] [--rows N] [--warm N] [--batch N] [--team] [--random-ids]
//     [--ids-from-1] [--sql "statement; ..."] (run after the migrations: an index dropped, a setting tried; {day},
//     {from}, {to} name today's partition and its bounds) [--dist DIR] [--callgrind DIR]
const { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { randomBytes } = require('node:crypto');
const P = require('./procs');
const { spendRow } = require('./spend-row');

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : def);
const DIST = require('node:path').resolve(opt('dist', join(__dirname, '..', 'dist')));
const STORE = opt('store', 'embedded');
const ROWS = Number(opt('rows', 200_000));
const WARM = Number(opt('warm', 50_000));
const BATCH = Number(opt('batch', 5000));
const TEAM = args.includes('--team');
const RANDOM_IDS = args.includes('--random-ids');
/** --ids-from-1: the ids' counters start at 1, as they did before src/common/ids/counter-ids.ts (the gateway's form). */
const SEQ0 = args.includes('--ids-from-1') ? 0 : 36 ** 5;
const SQL = opt('sql', '');
/** --callgrind DIR: the embedded store's process runs under callgrind, counting only the measured batches. */
const CALLGRIND = opt('callgrind', '');
if (CALLGRIND) underCallgrind(CALLGRIND);

const { DatabaseService } = require(join(DIST, 'database', 'database.service.js'));
const { SpendLogStore, partitionName } = require(join(DIST, 'spend', 'spend-log-store.js'));
const { createLogger } = require(join(DIST, 'logging', 'logger.js'));

/** The embedded store's process: this process's child running embedded-server.js. */
function childStorePid() {
  const pid = P.storePid(process.pid);
  if (pid === undefined) throw new Error('no embedded store process found');
  return pid;
}

/**
 * The embedded store's process started by valgrind (through a wrapper as fork's `execPath`), counting off until
 * `callgrind_control -i on`; the wrapper is written into `dir`, with the counts.
 */
function underCallgrind(dir) {
  const cp = require('node:child_process');
  const wrapper = join(dir, 'node-under-callgrind.sh');
  writeFileSync(
    wrapper,
    `#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=${dir}/store.cg ` +
      `${process.execPath} --perf-basic-prof "$@"\n`,
    { mode: 0o755 },
  );
  const fork = cp.fork;
  cp.fork = (mod, argv, options) =>
    fork(mod, argv, String(mod).endsWith('embedded-server.js') ? { ...options, execPath: wrapper } : options);
}

/** Runs `callgrind_control` on the store's process (found by its pid). */
function callgrindControl(pid, ...cmd) {
  require('node:child_process').execFileSync('callgrind_control', [...cmd, String(pid)], { stdio: 'ignore' });
}

/** The instructions callgrind counted in the store's process: the totals of its dumps. */
function callgrindTotal(dir) {
  let n = 0;
  for (const f of readdirSync(dir).filter((x) => x.startsWith('store.cg'))) {
    const m = /^totals: (\d+)/m.exec(readFileSync(join(dir, f), 'utf8'));
    if (m) n += Number(m[1]);
  }
  return n;
}

(async () => {
  const log = createLogger({ level: 'warn', secrets: [] });
  let dataDir;
  let pgDb;
  let database;
  if (STORE === 'pg') {
    pgDb = await P.benchDatabase();
    if (!pgDb) throw new Error('needs PostgreSQL (BENCH_PG_URL)');
    database = await new DatabaseService({ database: { kind: 'postgres', url: pgDb.url } }, log).open();
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'spend-log-cost-'));
    database = await new DatabaseService({ database: { kind: 'embedded', dataDir: join(dataDir, 'db') } }, log).open();
  }
  const store = new SpendLogStore(database);
  const base = Date.now();
  // `{day}`, `{from}`, `{to}` in --sql: today's partition's name and bounds (to make it before the writer does).
  const day = Math.floor(base / 86_400_000) * 86_400_000;
  const fill = (s) =>
    s
      .replaceAll('{day}', partitionName(day))
      .replaceAll('{from}', new Date(day).toISOString())
      .replaceAll('{to}', new Date(day + 86_400_000).toISOString());
  for (const s of SQL.split(';').filter((x) => x.trim())) await database.query(fill(s));
  // The CPU of whatever does the store's work: the embedded store's process, or this database's backends.
  const pids =
    STORE === 'pg'
      ? async () =>
          (await database.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).map(
            (r) => r.pid,
          )
      : async () => [childStorePid()];
  const cpu = (list) => list.reduce((n, pid) => n + P.cpuMicros(pid), 0);

  const idPrefix = randomBytes(6).toString('hex');
  const reqPrefix = randomBytes(4).toString('hex');
  const apiKey = randomBytes(32).toString('hex');
  let seq = 0;
  const row = () => {
    const i = seq++;
    const t = base + Math.floor(i / 20);
    const id = `${idPrefix}${(SEQ0 + i + 1).toString(36)}`;
    const requestId = RANDOM_IDS ? randomBytes(16).toString('hex') : `${reqPrefix}-${(SEQ0 + i + 1).toString(36)}`;
    // Rows arrive in the order calls end: a start a millisecond or two before the previous row's now and then.
    return spendRow(id, requestId, apiKey, TEAM, t - (i % 3), t);
  };
  const batch = store.newBatch();
  const writeBatch = async () => {
    batch.reset();
    for (let i = 0; i < BATCH; i++) batch.add(row());
    await store.write(batch);
  };

  for (let n = 0; n < WARM; n += BATCH) await writeBatch();
  const list = await pids();
  const perRow = [];
  let ms = 0;
  const lsn = async () => (await database.query('SELECT pg_current_wal_insert_lsn() AS l'))[0].l;
  const wal0 = await lsn();
  if (CALLGRIND) callgrindControl(list[0], '-i', 'on');
  for (let n = 0; n < ROWS; n += BATCH) {
    const c0 = cpu(list);
    const t0 = process.hrtime.bigint();
    await writeBatch();
    ms += Number(process.hrtime.bigint() - t0) / 1e6;
    await new Promise((r) => setTimeout(r, 30)); // the CPU counters settle a moment after the answer
    perRow.push((cpu(list) - c0) / BATCH);
  }
  if (CALLGRIND) {
    callgrindControl(list[0], '-i', 'off');
    callgrindControl(list[0], '-d');
  }
  const [{ d: walBytes }] = await database.query('SELECT pg_wal_lsn_diff($1, $2)::float8 AS d', [await lsn(), wal0]);
  const mean = perRow.reduce((a, b) => a + b, 0) / perRow.length;
  const sorted = [...perRow].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(
    `${STORE}: ${ROWS} rows after ${WARM}, batches of ${BATCH}: store CPU ${mean.toFixed(2)} µs a row (mean), ` +
      `${median.toFixed(2)} (median batch), wall ${((ms * 1000) / ROWS).toFixed(2)} µs a row, ` +
      `WAL ${(walBytes / ROWS).toFixed(0)} B a row`,
  );
  const sizes = await database.query(
    `SELECT c.relname AS name, pg_relation_size(c.oid) AS bytes FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent IN (SELECT indexrelid FROM pg_index WHERE indrelid = '"spend_logs"'::regclass)
       AND c.relname LIKE $1 ORDER BY 1`,
    [`${partitionName(day)}%`],
  );
  const bytes = (await database.query('SELECT pg_relation_size($1::regclass) AS b', [`"${partitionName(day)}"`]))[0].b;
  console.log(
    `bytes a row: heap ${(bytes / (ROWS + WARM)).toFixed(0)}, ` +
      sizes
        .map((r) => `${r.name.slice(partitionName(day).length + 1)} ${(r.bytes / (ROWS + WARM)).toFixed(1)}`)
        .join(', '),
  );
  if (STORE !== 'pg') console.log(`store process RSS ${P.rssMiB(list[0]).toFixed(0)} MiB`);
  if (CALLGRIND) console.log(`store instructions: ${(callgrindTotal(CALLGRIND) / ROWS).toFixed(0)} a row`);
  await database.onApplicationShutdown();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  if (pgDb) await pgDb.drop();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
