'use strict';
// Connections: K idle keep-alive connections (each made one request, then stays open, as an SDK's pool does), and
// S slow streams at once (a chunk every 200 ms for 5 s): the gateway's RSS per connection. Needs a file limit
// above K in this process and the gateway's (the driver raises both).
const net = require('node:net');
const C = require('./common');

function openIdle(port, count) {
  const sockets = [];
  const one = () =>
    new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () =>
        s.write('GET /health/liveliness HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n'),
      );
      s.once('data', () => resolve(s));
      s.once('error', reject);
      sockets.push(s);
    });
  return (async () => {
    for (let i = 0; i < count; i += 200) await Promise.all(Array.from({ length: Math.min(200, count - i) }, one));
    return sockets;
  })();
}

const settle = async (pid) => {
  await new Promise((r) => setTimeout(r, 1500));
  return require('../procs').rssMiB(pid);
};

/**
 * Each part on a gateway of its own: memory one part freed (an allocator keeps it) would be reused by the next and
 * hide its cost.
 */
async function connectionsAxis(upstream, { databaseUrl, idle = 10_000, slow = 1_000 }) {
  return [await idlePart(upstream, databaseUrl, idle, slow), await slowPart(upstream, databaseUrl, idle, slow)];
}

async function withGateway(upstream, databaseUrl, idle, slow, fn) {
  const models = C.deployment('slow-25', upstream.url, 'slow-25');
  const gw = await C.startGateway('gateway-conns', C.writeConfig(models), {
    databaseUrl,
    env: { MAX_CONNECTIONS: String(idle * 2 + slow * 2), MAX_REQUEST_BODIES_IN_FLIGHT: String(slow * 2) },
  });
  try {
    return await fn(gw);
  } finally {
    await gw.stop();
  }
}

function idlePart(upstream, databaseUrl, idle, slow) {
  return withGateway(upstream, databaseUrl, idle, slow, async (gw) => {
    const rss0 = await settle(gw.pid);
    const sockets = await openIdle(Number(new URL(gw.url).port), idle);
    const rssIdle = await settle(gw.pid);
    for (const s of sockets) s.destroy();
    return {
      what: `${idle} idle keep-alive connections`,
      rssBeforeMiB: Math.round(rss0),
      rssMiB: Math.round(rssIdle),
      kbPerConnection: Number((((rssIdle - rss0) * 1024) / idle).toFixed(1)),
    };
  });
}

function slowPart(upstream, databaseUrl, idle, slow) {
  return withGateway(upstream, databaseUrl, idle, slow, async (gw) => {
    const { key } = await C.admin(gw.url, '/key/generate', {});
    const rss0 = await settle(gw.pid);
    const body = C.chatBody('slow-25', { stream: true });
    const calls = Array.from({ length: slow }, () =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      }).then((r) => r.text()),
    );
    await new Promise((r) => setTimeout(r, 3000));
    const rssSlow = require('../procs').rssMiB(gw.pid);
    const done = await Promise.allSettled(calls);
    return {
      what: `${slow} slow streams`,
      rssBeforeMiB: Math.round(rss0),
      rssMiB: Math.round(rssSlow),
      kbPerConnection: Number((((rssSlow - rss0) * 1024) / slow).toFixed(1)),
      failed: done.filter((d) => d.status === 'rejected').length,
    };
  });
}

module.exports = { connectionsAxis };
