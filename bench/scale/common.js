'use strict';
// What every axis of the scale bench uses: the upstream, a gateway started from a YAML text (on core 0, with a raised
// file limit), load over many credentials, peak RSS sampling, CPU per call, and PostgreSQL's own counters.
const { writeFileSync, mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const P = require('../procs');

const ROOT = join(__dirname, '..', '..');
const MASTER = 'sk-scale-master-key-0000';
const FILE_LIMIT = 65536;

async function startUpstream() {
  const port = await P.freePort();
  const proc = await P.start('upstream', 1, process.execPath, [join(__dirname, 'upstream.js'), String(port)], {
    ready: async (o) => o.includes('ready'),
  });
  return { ...proc, url: `http://127.0.0.1:${port}` };
}

/** `general_settings` lines and `model_list` entries → a config file in a fresh folder. */
function writeConfig(modelList, general = '') {
  const dir = mkdtempSync(join(tmpdir(), 'gw-scale-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, `model_list:\n${modelList}general_settings:\n  master_key: ${MASTER}\n${general}`);
  return { dir, file };
}

/** A deployment entry of `group` on the scale upstream, calling upstream model `model`. */
const deployment = (group, upstreamUrl, model = 'gpt-scale') =>
  `  - model_name: ${group}\n    litellm_params: { model: openai/${model}, api_base: ${upstreamUrl}, api_key: sk-up }\n` +
  `    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }\n`;

/** The built gateway on core 0 (file limit raised for the connections axis); `startMs`: spawn to live. */
async function startGateway(name, config, { databaseUrl = '', env = {}, mark, nodeArgs = '' } = {}) {
  const port = await P.freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  const cmd = `ulimit -n ${FILE_LIMIT} 2>/dev/null; exec "${process.execPath}" ${nodeArgs} "${join(ROOT, 'dist', 'main.js')}" --config "${config.file}"`;
  const proc = await P.start(name, 0, 'bash', ['-c', cmd], {
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(config.dir, 'data'),
      DATABASE_URL: databaseUrl,
      ...env,
    },
    ready: async () => (await fetch(`${url}/health/liveliness`)).ok,
    timeoutMs: 300_000,
    mark,
  });
  return { ...proc, url, startMs: Date.now() - t0 };
}

/** POSTs `path` with the master key; the answer's JSON (throws unless 200). */
async function admin(url, path, body) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * autocannon for `durationSec`; `key()` gives each request's credential and `body` (a string, or a function) its body.
 * Answers requests/s, p50/p99 (ms), totals, and the gateway's CPU µs per call (from /proc) when `pid` is given.
 */
function load({ url, path = '/v1/chat/completions', key, body, connections = 32, durationSec = 5, pid }) {
  const cpu0 = pid ? P.cpuMicros(pid) : 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: url + path,
        method: 'POST',
        connections,
        duration: durationSec,
        timeout: 60,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => ({
              ...req,
              body: typeof body === 'function' ? body() : body,
              headers: { 'content-type': 'application/json', authorization: `Bearer ${key()}` },
            }),
          },
        ],
      },
      (err, r) => {
        if (err) return reject(err);
        const calls = r.requests.total;
        resolve({
          rps: r.requests.average,
          p50ms: r.latency.p50,
          p99ms: r.latency.p99,
          calls,
          non2xx: r.non2xx,
          errors: r.errors + r.timeouts,
          cpuUsPerCall: pid && calls > 0 ? (P.cpuMicros(pid) - cpu0) / calls : NaN,
        });
      },
    );
  });
}

/** Samples a process's RSS every 100 ms until `stop()`, which answers the peak (MiB). */
function rssPeak(pid) {
  let peak = P.rssMiB(pid);
  const timer = setInterval(() => (peak = Math.max(peak, P.rssMiB(pid))), 100);
  return () => {
    clearInterval(timer);
    return Math.max(peak, P.rssMiB(pid));
  };
}

/**
 * The RSS over a long run (--soak S): `run(sec)` loads the gateway for `slice` seconds at a time, for `seconds` in
 * all; RSS is read after each slice (all readings returned, to tell a warm-up from a climb). Flat means every later reading within 10 % of the one after the first slice
 * (the first slice warms caches and pools up).
 */
async function soak(pid, seconds, run, slice = 10) {
  const readings = [];
  for (let t = 0; t < seconds; t += slice) {
    await run(Math.min(slice, seconds - t));
    readings.push(Math.round(P.rssMiB(pid)));
  }
  const base = readings[0];
  const drift = Math.max(...readings.slice(1).map((r) => Math.abs(r - base) / base), 0);
  return {
    seconds,
    firstMiB: base,
    lastMiB: readings.at(-1),
    maxMiB: Math.max(...readings),
    driftPct: Number((drift * 100).toFixed(1)),
    flat: drift <= 0.1,
    readings,
  };
}

/** A fresh database with the gateway's schema (its own migration runner), or null without PostgreSQL. */
async function migratedDatabase() {
  const db = await P.benchDatabase();
  if (!db) return null;
  const { applyMigrations } = require(join(ROOT, 'dist', 'database', 'migration-runner.js'));
  await withClient(db.url, (c) =>
    applyMigrations({
      query: async (s, p) => (await c.query(s, p)).rows,
      exec: async (s) => void (await c.query(s)),
    }),
  );
  return db;
}

async function withClient(url, fn) {
  const { Client } = require('pg');
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Transactions committed in the database so far (PostgreSQL's own counter; every query of the gateway is one). */
async function commits(url) {
  await new Promise((r) => setTimeout(r, 1200)); // backends report their counters within a second of going idle
  return withClient(url, async (c) => {
    const { rows } = await c.query(
      'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0].n);
  });
}

const chatBody = (model, extra = {}) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello in five words.' }], ...extra });

module.exports = {
  MASTER,
  startUpstream,
  writeConfig,
  deployment,
  startGateway,
  admin,
  load,
  rssPeak,
  soak,
  migratedDatabase,
  withClient,
  commits,
  chatBody,
};
