'use strict';
// Load generators. `autocannonRun` drives many connections; `sequential` measures light-load latency precisely
// (one connection, hrtime per request) since autocannon's histogram has millisecond resolution.
const autocannon = require('autocannon');
const { Pool } = require('undici');

function autocannonRun({ url, path, headers, body, connections, durationSec }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: url + path,
        method: 'POST',
        headers,
        body,
        connections,
        duration: durationSec,
        pipelining: 1,
        timeout: 20,
      },
      (err, r) => {
        if (err) return reject(err);
        resolve({
          rps: r.requests.average,
          total: r.requests.total,
          p50ms: r.latency.p50,
          p99ms: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors + r.timeouts,
        });
      },
    );
  });
}

async function sequential({ url, path, headers, body, count }) {
  const pool = new Pool(url, { connections: 1 });
  const times = [];
  let bad = 0;
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    const res = await pool.request({ method: 'POST', path, headers, body });
    await res.body.arrayBuffer();
    const dt = Number(process.hrtime.bigint() - t0) / 1000;
    if (res.statusCode !== 200) bad++;
    if (i >= count / 10) times.push(dt); // first 10 % is warm-up
  }
  await pool.close();
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  return { p50us: q(0.5), p99us: q(0.99), bad };
}

/**
 * `n` chat calls over `pool`, `connections` at a time (each connection sends its next call when its answer is read);
 * throws on an answer other than 200. For counting runs, where what is counted is the calls, not their timing.
 * `headers`: an object, or a function giving each call's (a credential per call).
 */
async function concurrentCalls(pool, { n, connections, headers, body }) {
  let sent = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (sent++ < n) {
        const h = typeof headers === 'function' ? headers() : headers;
        const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: h, body });
        const text = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`answered ${res.statusCode}: ${text.slice(0, 200)}`);
      }
    }),
  );
}

module.exports = { autocannonRun, concurrentCalls, sequential };
