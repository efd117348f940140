'use strict';
// Process helpers for the benchmark: start pinned processes, wait until ready, read CPU time and RSS from /proc.
const { spawn, execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const net = require('node:net');

let hasTaskset = false;
try {
  execFileSync('taskset', ['-c', '0', 'true']);
  hasTaskset = true;
} catch {
  /* not available: unpinned */
}
const cores = require('node:os').cpus().length;

function pinned(core, cmd, args) {
  return hasTaskset && cores > 1 ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a process and resolves once `ready()` (polled) says so; rejects with its output if it exits first. Only
 * the last 100-200 KB of output are kept (access logs fill it); a line matching `mark` is kept apart (`marked()`),
 * however much follows it.
 */
async function start(name, core, cmd, args, { env = {}, ready, timeoutMs = 60_000, mark } = {}) {
  const [c, a] = pinned(core, cmd, args);
  const proc = spawn(c, a, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let marked = '';
  const keep = (d) => {
    if (mark && !marked) {
      const text = String(d);
      const m = mark.exec(text);
      if (m)
        marked = text.slice(
          text.lastIndexOf('\n', m.index) + 1,
          (text.indexOf('\n', m.index) + 1 || text.length + 1) - 1,
        );
    }
    out += d;
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited (${proc.exitCode}):\n${out.slice(-4000)}`);
    if (await ready(out).catch(() => false)) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${name} not ready in ${timeoutMs} ms:\n${out.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // With taskset the child is taskset's exec'd process: same pid.
  return { name, proc, pid: proc.pid, output: () => out, marked: () => marked, stop: () => stop(proc) };
}

function stop(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve(proc.exitCode);
    proc.once('exit', (code) => resolve(code));
    proc.kill('SIGTERM');
    setTimeout(() => proc.exitCode === null && proc.kill('SIGKILL'), 15_000).unref();
  });
}

const TICK_US = 1e6 / 100; // CLK_TCK is 100 on Linux

/** CPU time (user + system) of a process, in microseconds. */
function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** Resident set size of a process, in MiB. */
function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * The embedded store's process (dist/database/embedded-server.js) of a gateway, or undefined (a gateway on
 * PostgreSQL, or the baseline): its CPU and memory are the gateway's too, so the bench counts them.
 */
function storePid(pid) {
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean)) {
      if (readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('embedded-server.js')) return Number(child);
    }
  } catch {
    /* gone, or no children file: nothing to count */
  }
  return undefined;
}

/**
 * A fresh PostgreSQL database for a gateway-on-PostgreSQL target, when a server answers at BENCH_PG_URL (default:
 * the local one the tests use); null when none does (the target is then left out).
 */
async function benchDatabase() {
  const { Client } = require('pg');
  const adminUrl = process.env.BENCH_PG_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
  const name = `gw_bench_${process.pid}_${Date.now()}`;
  const admin = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  } catch {
    await admin.end().catch(() => undefined);
    return null;
  }
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const drop = async () => {
    const c = new Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await c.end();
  };
  return { url: url.toString(), drop };
}

module.exports = { start, stop, freePort, cpuMicros, rssMiB, storePid, benchDatabase, hasTaskset, cores };
