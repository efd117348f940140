'use strict';
// Bodies: chat calls whose one message is 1 KB, 100 KB, 1 MB and 5 MB, a few connections: the gateway's CPU per MB
// of body and its peak RSS, beside two floors: the same bytes in this process (JSON.parse plus one write's copy, no
// socket), and a server doing only that between two sockets (body-floor.js: read, JSON.parse, one write upstream).
const { join } = require('node:path');
const P = require('../procs');
const C = require('./common');

const SIZES = { '1KB': 1 << 10, '100KB': 100 << 10, '1MB': 1 << 20, '5MB': 5 << 20 };

function bodyOf(bytes) {
  return JSON.stringify({ model: 'scale-model', messages: [{ role: 'user', content: 'x'.repeat(bytes) }] });
}

/** CPU µs per MB of JSON.parse + Buffer.from of the same text, in this process (the least any server does). */
function floorUsPerMb(body) {
  const rounds = Math.max(3, Math.ceil((20 << 20) / body.length));
  const t0 = process.cpuUsage();
  for (let i = 0; i < rounds; i++) {
    JSON.parse(body);
    Buffer.from(body);
  }
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / rounds / (body.length / (1 << 20));
}

async function bodiesAxis(upstream, { durationSec, databaseUrl, soakSec }) {
  const config = C.writeConfig(C.deployment('scale-model', upstream.url));
  const gw = await C.startGateway('gateway-bodies', config, { databaseUrl });
  const floorPort = await P.freePort();
  const floor = await P.start(
    'body-floor',
    0,
    process.execPath,
    [join(__dirname, 'body-floor.js'), String(floorPort), upstream.url],
    {
      ready: async (o) => o.includes('ready'),
    },
  );
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  try {
    const { key } = await C.admin(gw.url, '/key/generate', {});
    const out = [];
    for (const [name, bytes] of Object.entries(SIZES)) {
      const body = bodyOf(bytes);
      const peak = C.rssPeak(gw.pid);
      const r = await C.load({ url: gw.url, body, durationSec, connections: 4, pid: gw.pid, key: () => key });
      const f = await C.load({ url: floorUrl, body, durationSec, connections: 4, pid: floor.pid, key: () => 'none' });
      const mb = body.length / (1 << 20);
      out.push({
        body: name,
        rps: Math.round(r.rps),
        p99ms: r.p99ms,
        cpuUsPerMb: Math.round(r.cpuUsPerCall / mb),
        floorUsPerMb: Math.round(floorUsPerMb(body)),
        serverFloorUsPerMb: Math.round(f.cpuUsPerCall / mb),
        ratioToServerFloor: Number((r.cpuUsPerCall / f.cpuUsPerCall).toFixed(2)),
        peakRssMiB: Math.round(peak()),
        non2xx: r.non2xx,
      });
    }
    if (soakSec) {
      const body = bodyOf(SIZES['5MB']);
      const load = (sec) => C.load({ url: gw.url, body, durationSec: sec, connections: 4, key: () => key });
      out.push({ body: '5MB soak', soak: await C.soak(gw.pid, soakSec, load) });
    }
    return out;
  } finally {
    await Promise.all([gw.stop(), floor.stop()]);
  }
}

module.exports = { bodiesAxis };
