'use strict';
// Instances: two gateways on one PostgreSQL and one Redis, a key with rpm, tpm and parallel limits (shared through
// Redis), calls split over both: Redis commands per call (INFO commandstats) and latency, beside one instance
// without Redis (limits in process). A Redis of its own (redis-server on a free port, when installed), so that no
// other client's commands are counted; else BENCH_REDIS_URL.
const P = require('../procs');
const C = require('./common');

async function ownRedis(fallbackUrl) {
  try {
    const port = await P.freePort();
    const proc = await P.start(
      'redis',
      1,
      'redis-server',
      ['--port', String(port), '--save', '', '--appendonly', 'no'],
      {
        ready: async (o) => o.includes('Ready to accept'),
        timeoutMs: 10_000,
      },
    );
    return { url: `redis://127.0.0.1:${port}`, stop: () => proc.stop() };
  } catch {
    return { url: fallbackUrl, stop: async () => undefined };
  }
}

/** Calls per command name so far (commands a script runs count under their own names too). */
async function redisCommands(url) {
  const Redis = require('ioredis');
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    const info = await r.info('commandstats');
    const out = new Map();
    for (const m of info.matchAll(/^cmdstat_([a-z|_]+):calls=(\d+)/gm))
      if (m[1] !== 'info') out.set(m[1], Number(m[2]));
    return out;
  } finally {
    r.disconnect();
  }
}

/** Per call: script runs (evalsha, eval: one round trip each), and every command, by name. */
function perCall(before, after, calls) {
  const by = {};
  let all = 0;
  for (const [name, n] of after) {
    const d = n - (before.get(name) ?? 0);
    if (d > 0) by[name] = Number((d / calls).toFixed(2));
    all += d;
  }
  const scripts = (by.evalsha ?? 0) + (by.eval ?? 0);
  return { scripts, all: Number((all / calls).toFixed(2)), by };
}

const LIMITS = { rpm_limit: 1e9, tpm_limit: 1e9, max_parallel_requests: 100000 };

async function instancesAxis(upstream, { durationSec, databaseUrl, redisUrl: fallback }) {
  if (!databaseUrl) throw new Error('the instances axis needs PostgreSQL (BENCH_PG_URL)');
  const redis = await ownRedis(fallback);
  try {
    return await measure(upstream, { durationSec, databaseUrl, redisUrl: redis.url });
  } finally {
    await redis.stop();
  }
}

async function measure(upstream, { durationSec, databaseUrl, redisUrl }) {
  const body = C.chatBody('scale-model');
  const config = C.writeConfig(C.deployment('scale-model', upstream.url));
  const one = await C.startGateway('gateway-one', config, { databaseUrl });
  let single;
  try {
    const { key } = await C.admin(one.url, '/key/generate', LIMITS);
    single = await C.load({ url: one.url, body, durationSec, pid: one.pid, key: () => key, connections: 32 });
  } finally {
    await one.stop();
  }
  const env = { REDIS_URL: redisUrl };
  const a = await C.startGateway('gateway-a', config, { databaseUrl, env });
  const b = await C.startGateway('gateway-b', config, { databaseUrl, env });
  try {
    const { key } = await C.admin(a.url, '/key/generate', LIMITS);
    const before = await redisCommands(redisUrl);
    const [ra, rb] = await Promise.all([
      C.load({ url: a.url, body, durationSec, pid: a.pid, key: () => key, connections: 16 }),
      C.load({ url: b.url, body, durationSec, pid: b.pid, key: () => key, connections: 16 }),
    ]);
    const calls = ra.calls + rb.calls;
    const redis = perCall(before, await redisCommands(redisUrl), calls);
    return [
      { target: 'one instance, no Redis', rps: Math.round(single.rps), p50ms: single.p50ms, p99ms: single.p99ms },
      {
        target: 'two instances, Redis limits',
        rps: Math.round(ra.rps + rb.rps),
        p50ms: Math.max(ra.p50ms, rb.p50ms),
        p99ms: Math.max(ra.p99ms, rb.p99ms),
        redisScriptsPerCall: redis.scripts,
        redisCommandsPerCall: redis.all,
        redisByCommand: JSON.stringify(redis.by),
      },
    ];
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

module.exports = { instancesAxis };
