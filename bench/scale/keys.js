'use strict';
// Keys: N keys in PostgreSQL (one INSERT ... SELECT from generate_series, as an import would), the gateway started
// cold, and calls spread uniformly over all N keys from its first second: requests/s, p99, database transactions
// per call, RSS, and how long the bulk load took, over the first `--cold` seconds (30: the target's window; also the
// rate of its last 10 s, `lastRatio`); then calls over all keys again once loaded, and with one warm key, for the
// ratios.
const C = require('./common');

async function insertKeys(url, n) {
  const t0 = Date.now();
  await C.withClient(url, (c) =>
    c.query(
      `INSERT INTO virtual_keys (token, key_name, created_by, updated_at)
       SELECT encode(sha256(convert_to('sk-scale-' || i, 'UTF8')), 'hex'), 'sk-...' || i, 'bench', now()
       FROM generate_series(1, $1) i`,
      [n],
    ),
  );
  return Date.now() - t0;
}

async function point(n, upstream, { durationSec, coldSec, maxKeys, soakSec }) {
  const db = await C.migratedDatabase();
  if (!db) throw new Error('the keys axis needs PostgreSQL (BENCH_PG_URL)');
  try {
    const insertMs = await insertKeys(db.url, n);
    const general = maxKeys ? `  key_cache_max_keys: ${maxKeys}\n` : '';
    const config = C.writeConfig(C.deployment('scale-model', upstream.url), general);
    const gw = await C.startGateway('gateway-keys', config, { databaseUrl: db.url, mark: /key cache loaded/ });
    try {
      const body = C.chatBody('scale-model');
      const before = await C.commits(db.url);
      const peak = C.rssPeak(gw.pid);
      const anyKey = () => `sk-scale-${1 + Math.floor(Math.random() * n)}`;
      const cold = await coldWindow(coldSec, (sec) =>
        C.load({ url: gw.url, body, durationSec: sec, pid: gw.pid, key: anyKey }),
      );
      const txPerCall = ((await C.commits(db.url)) - before) / cold.calls;
      const loaded = /"keys":(\d+),"all":(true|false),"ms":(\d+)[^\n]*key cache loaded/.exec(gw.marked());
      // Calls over every key once the cache is loaded: what a cold key costs apart from the start.
      const spread = await C.load({ url: gw.url, body, durationSec, pid: gw.pid, key: anyKey });
      const rss = peak();
      const warm = await C.load({ url: gw.url, body, durationSec, pid: gw.pid, key: () => 'sk-scale-1' });
      const soaked = soakSec
        ? await C.soak(gw.pid, soakSec, (sec) => C.load({ url: gw.url, body, durationSec: sec, key: anyKey }))
        : undefined;
      return {
        keys: n,
        insertMs,
        startMs: gw.startMs,
        bulkLoadMs: loaded ? Number(loaded[3]) : null,
        allHeld: loaded ? loaded[2] === 'true' : null,
        coldRps: Math.round(cold.rps),
        coldP99ms: cold.p99ms,
        coldCpuUs: Math.round(cold.cpuUsPerCall),
        coldLastRps: Math.round(cold.lastRps),
        txPerCall: Number(txPerCall.toFixed(4)),
        non2xx: cold.non2xx,
        spreadRps: Math.round(spread.rps),
        spreadCpuUs: Math.round(spread.cpuUsPerCall),
        warmRps: Math.round(warm.rps),
        warmP99ms: warm.p99ms,
        warmCpuUs: Math.round(warm.cpuUsPerCall),
        ratio: Number((cold.rps / warm.rps).toFixed(2)),
        lastRatio: Number((cold.lastRps / warm.rps).toFixed(2)),
        spreadRatio: Number((spread.rps / warm.rps).toFixed(2)),
        rssMiB: Math.round(rss),
        soak: soaked,
      };
    } finally {
      await gw.stop();
    }
  } finally {
    await db.drop();
  }
}

/** Seconds of the cold window per load: the last one is the rate the window ends at. */
const COLD_SLICE_SEC = 10;

/**
 * The cold window from start in slices of COLD_SLICE_SEC: over the whole window, requests/s (calls over the slices'
 * seconds), the worst slice's p99, CPU per call; and `lastRps`, the rate of its last slice (reached by the window's
 * end, a fresh process's warm-up and the bulk load behind it).
 */
async function coldWindow(coldSec, load) {
  const slices = [];
  for (let t = 0; t < coldSec; t += COLD_SLICE_SEC) slices.push(await load(Math.min(COLD_SLICE_SEC, coldSec - t)));
  const calls = slices.reduce((n, s) => n + s.calls, 0);
  return {
    rps: calls / coldSec,
    calls,
    p99ms: Math.max(...slices.map((s) => s.p99ms)),
    cpuUsPerCall: slices.reduce((us, s) => us + s.cpuUsPerCall * s.calls, 0) / calls,
    non2xx: slices.reduce((n, s) => n + s.non2xx, 0),
    lastRps: slices.at(-1).rps,
  };
}

async function keysAxis(upstream, opts) {
  const out = [];
  const points = opts.points ?? [10_000, 100_000, 1_000_000];
  for (const n of points) out.push(await point(n, upstream, { ...opts, soakSec: n === points.at(-1) && opts.soakSec }));
  return out;
}

module.exports = { keysAxis, insertKeys };
