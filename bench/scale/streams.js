'use strict';
// Streams: streaming calls of 20, 2,000 and 20,000 chunks: CPU per chunk of the gateway and of the baseline forwarder
// (bench/baseline.ts: Nest-Fastify and undici, piping the stream), each on core 0.
const { join } = require('node:path');
const P = require('../procs');
const C = require('./common');

const CHUNKS = [20, 2_000, 20_000];

async function streamsAxis(upstream, { durationSec, databaseUrl, soakSec }) {
  const models = CHUNKS.map((n) => C.deployment(`chunks-${n}`, upstream.url, `chunks-${n}`)).join('');
  const gw = await C.startGateway('gateway-streams', C.writeConfig(models), { databaseUrl });
  const port = await P.freePort();
  const baseline = await P.start(
    'baseline',
    0,
    process.execPath,
    [join(__dirname, '..', '..', 'dist-bench', 'bench', 'baseline.js'), String(port), upstream.url],
    { ready: async (o) => o.includes('ready') },
  );
  try {
    const { key } = await C.admin(gw.url, '/key/generate', {});
    const out = [];
    for (const n of CHUNKS) {
      const body = C.chatBody(`chunks-${n}`, { stream: true });
      const conns = n >= 20_000 ? 2 : 8;
      const g = await C.load({ url: gw.url, body, durationSec, connections: conns, pid: gw.pid, key: () => key });
      const b = await C.load({
        url: `http://127.0.0.1:${port}`,
        body,
        durationSec,
        connections: conns,
        pid: baseline.pid,
        key: () => 'none',
      });
      out.push({
        chunks: n,
        gatewayCallsPerSec: Math.round(g.rps),
        gatewayUsPerChunk: Number((g.cpuUsPerCall / n).toFixed(2)),
        baselineUsPerChunk: Number((b.cpuUsPerCall / n).toFixed(2)),
        non2xx: g.non2xx,
      });
    }
    if (soakSec) {
      const body = C.chatBody(`chunks-${CHUNKS.at(-1)}`, { stream: true });
      const load = (sec) => C.load({ url: gw.url, body, durationSec: sec, connections: 2, key: () => key });
      out.push({ chunks: `${CHUNKS.at(-1)} soak`, soak: await C.soak(gw.pid, soakSec, load) });
    }
    return out;
  } finally {
    await Promise.all([gw.stop(), baseline.stop()]);
  }
}

module.exports = { streamsAxis };
