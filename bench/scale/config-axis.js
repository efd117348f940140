'use strict';
// Config: 1,000 deployments in 300 model groups against one group of two: start time (spawn to live) and CPU per
// call, with calls spread over every group (the routing cost per call).
const C = require('./common');

async function run(name, groups, perGroup, upstream, { durationSec, databaseUrl }) {
  let list = '';
  let n = 0;
  for (let g = 0; g < groups; g++)
    for (let d = 0; d < perGroup[g % perGroup.length]; d++, n++) list += C.deployment(`group-${g}`, upstream.url);
  const gw = await C.startGateway(name, C.writeConfig(list), { databaseUrl });
  try {
    const { key } = await C.admin(gw.url, '/key/generate', {});
    const bodies = Array.from({ length: groups }, (_, g) => C.chatBody(`group-${g}`));
    const body = () => bodies[Math.floor(Math.random() * groups)];
    const r = await C.load({ url: gw.url, body, durationSec, pid: gw.pid, key: () => key });
    return {
      deployments: n,
      groups,
      startMs: gw.startMs,
      rps: Math.round(r.rps),
      cpuUsPerCall: Math.round(r.cpuUsPerCall),
      non2xx: r.non2xx,
    };
  } finally {
    await gw.stop();
  }
}

async function configAxis(upstream, opts) {
  const small = await run('gateway-small-config', 1, [2], upstream, opts);
  // 300 groups: 100 of 4 deployments and 200 of 3 = 1,000.
  const big = await run('gateway-big-config', 300, [4, 3, 3], upstream, opts);
  return [small, big];
}

module.exports = { configAxis };
