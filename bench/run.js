#!/usr/bin/env node
'use strict';
// `npm run bench`: the gateway's own cost, measured against a bare Nest-Fastify + undici forwarder.
// Options: --rounds N (3) --duration S (4) --quick (1 round, 2 s) --soak S (soak only: RSS over S seconds)
// --spend-logs off (general_settings.disable_spend_logs: what spend logs cost, against a run without it)
// --scale [axis]: the scale bench instead (bench/scale.js)
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const P = require('./procs');
const { MASTER } = require('./config');
const { autocannonRun, sequential } = require('./load');
const { BENCH_END_USER, generateTeamKey, generateVirtualKey } = require('./credentials');
const { printTable, summarize } = require('./report');
const { repinnedToLoadCore, startBench, startGateway, startBaseline } = require('./setup');

// `npm run bench -- --scale [axis]`: the scale bench (bench/scale.js) instead.
if (process.argv.includes('--scale')) return void require('./scale');
// The load generator runs on the second core, the gateway/baseline on the first.
if (repinnedToLoadCore(__filename)) return;

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : Number(args[i + 1]);
};
const quick = args.includes('--quick');
const ROUNDS = quick ? 1 : opt('rounds', 3);
const DURATION = quick ? 2 : opt('duration', 4);
const SOAK = opt('soak', 0);
const SPEND_LOGS_OFF = args.includes('--spend-logs') && args[args.indexOf('--spend-logs') + 1] === 'off';

/** `user`: the end user the call is for (the team-key target's). */
const chatBody = (stream, user) =>
  JSON.stringify({
    model: 'bench-model',
    ...(user ? { user } : {}),
    messages: [{ role: 'user', content: 'Say hello in five words.' }],
    ...(stream ? { stream: true } : {}),
  });

async function main() {
  const bench = await startBench('gw-bench-', { spendLogs: !SPEND_LOGS_OFF });
  const { upstream, upUrl, jwks } = bench;
  const { proc: gateway, url: gwUrl } = await startGateway('gateway', bench);
  // The same gateway on PostgreSQL (when one is reachable): its memory without the embedded store's.
  const pg = SOAK > 0 ? null : await P.benchDatabase();
  const gatewayPg = pg ? await startGateway('gateway-pg', bench, { databaseUrl: pg.url }) : null;
  const { proc: baseline, url: blUrl } = await startBaseline(bench);
  const vkey = await generateVirtualKey(gwUrl, MASTER);
  const jwt = jwks.sign({ sub: 'bench-user', client_id: 'bench-project', scope: 'openid' });
  const json = { 'content-type': 'application/json' };
  const targets = {
    upstream: { url: upUrl, proc: upstream, headers: json },
    baseline: { url: blUrl, proc: baseline, headers: json },
    'gateway/master': { url: gwUrl, proc: gateway, headers: { ...json, authorization: `Bearer ${MASTER}` } },
    'gateway/vkey': { url: gwUrl, proc: gateway, headers: { ...json, authorization: `Bearer ${vkey}` } },
    'gateway/jwt': { url: gwUrl, proc: gateway, headers: { ...json, authorization: `Bearer ${jwt}` } },
    'gateway/team-key': {
      url: gwUrl,
      proc: gateway,
      headers: { ...json, authorization: `Bearer ${await generateTeamKey(gwUrl, MASTER)}` },
      user: BENCH_END_USER,
    },
  };
  if (gatewayPg) {
    const pgKey = await generateVirtualKey(gatewayPg.url, MASTER);
    targets['gateway-pg/vkey'] = {
      url: gatewayPg.url,
      proc: gatewayPg.proc,
      headers: { ...json, authorization: `Bearer ${pgKey}` },
    };
  }
  // Warm everything (JIT, pools, caches) and check every target answers 200.
  for (const [name, t] of Object.entries(targets)) {
    for (const stream of [false, true]) {
      const r = await autocannonRun({
        url: t.url,
        path: '/v1/chat/completions'.replace(name === 'upstream' ? '/v1' : '', ''),
        headers: t.headers,
        body: chatBody(stream, t.user),
        connections: 8,
        durationSec: 1,
      });
      if (r.non2xx || r.errors)
        throw new Error(
          `${name} (stream=${stream}) answered ${r.non2xx} non-2xx and ${r.errors} errors during warm-up`,
        );
    }
  }
  const results = [];
  try {
    if (SOAK > 0) {
      results.push(await soak(targets['gateway/vkey'], SOAK));
      results.push(await soak(targets.baseline, Math.min(60, SOAK)));
    } else {
      for (let round = 1; round <= ROUNDS; round++) {
        for (const connections of [32, 128]) {
          for (const stream of [false, true]) {
            for (const [name, t] of Object.entries(targets)) {
              results.push({
                round,
                target: name,
                connections,
                stream,
                ...(await measure(name, t, connections, stream)),
              });
            }
          }
        }
        for (const name of ['baseline', 'gateway/vkey', 'gateway/jwt']) {
          const t = targets[name];
          const r = await sequential({
            url: t.url,
            path: '/v1/chat/completions',
            headers: t.headers,
            body: chatBody(false, t.user),
            count: quick ? 500 : 2000,
          });
          results.push({ round, target: name, connections: 1, stream: false, ...r });
        }
        process.stderr.write(`round ${round}/${ROUNDS} done\n`);
      }
    }
  } finally {
    await Promise.all([gateway.stop(), gatewayPg?.proc.stop(), baseline.stop(), upstream.stop(), jwks.close()]);
    await pg?.drop();
  }
  const summary = summarize(results, SOAK > 0);
  mkdirSync(join(__dirname, 'results'), { recursive: true });
  const file = join(
    __dirname,
    'results',
    `${new Date().toISOString().replace(/[:.]/g, '-')}${SOAK ? '-soak' : ''}.json`,
  );
  writeFileSync(
    file,
    JSON.stringify(
      { date: new Date().toISOString(), rounds: ROUNDS, durationSec: DURATION, pinned: P.hasTaskset, results, summary },
      null,
      2,
    ),
  );
  printTable(summary, SOAK > 0);
  console.log(`\nresults: ${file}`);
}

async function measure(name, t, connections, stream) {
  const path = name === 'upstream' ? '/chat/completions' : '/v1/chat/completions';
  // An embedded gateway's store process works for it (spend writes): its CPU counts in the gateway's CPU per call,
  // and its memory is reported beside the gateway process's.
  const store = P.storePid(t.proc.pid);
  const cpuNow = () => P.cpuMicros(t.proc.pid) + (store ? P.cpuMicros(store) : 0);
  const cpu0 = cpuNow();
  const mem = { peak: 0, store: 0, together: 0 };
  const sample = () => {
    const rss = P.rssMiB(t.proc.pid);
    const storeRss = store ? P.rssMiB(store) : 0;
    mem.peak = Math.max(mem.peak, rss);
    mem.store = Math.max(mem.store, storeRss);
    mem.together = Math.max(mem.together, rss + storeRss);
  };
  sample();
  const sampler = setInterval(sample, 100);
  const r = await autocannonRun({
    url: t.url,
    path,
    headers: t.headers,
    body: chatBody(stream, t.user),
    connections,
    durationSec: DURATION,
  });
  clearInterval(sampler);
  const cpu = cpuNow() - cpu0;
  const memory = store ? { storePeakRssMiB: mem.store, withStorePeakRssMiB: mem.together } : {};
  return { ...r, cpuUsPerReq: r.total ? cpu / r.total : NaN, peakRssMiB: mem.peak, ...memory };
}

async function soak(t, seconds) {
  const samples = [];
  const storeSamples = [];
  const pid = t.proc.pid;
  const store = P.storePid(pid);
  const sampler = setInterval(() => {
    samples.push(P.rssMiB(pid));
    if (store) storeSamples.push(P.rssMiB(store));
  }, 5000);
  const r = await autocannonRun({
    url: t.url,
    path: '/v1/chat/completions',
    headers: t.headers,
    body: chatBody(false, t.user),
    connections: 128,
    durationSec: seconds,
  });
  clearInterval(sampler);
  return {
    target: t === undefined ? '?' : t.proc.name,
    seconds,
    ...r,
    rssSamplesMiB: samples,
    ...(store ? { storeRssSamplesMiB: storeSamples } : {}),
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
