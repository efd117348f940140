'use strict';
// What `npm run bench` and `npm run bench:interleaved` start with: the script pinned to core 1 (the servers get core
// 0), the bench's TypeScript compiled, the precomputed upstream, a JWKS server, a work folder with the gateway's
// config; then the gateway as shipped and the baseline.
const { execFileSync, execSync, spawn } = require('node:child_process');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const P = require('./procs');
const { writeBenchConfig } = require('./config');
const { startJwks } = require('./credentials');

const ROOT = join(__dirname, '..');

/** Runs `file` again pinned to core 1 (the load generator's) when taskset exists; true when the caller should stop. */
function repinnedToLoadCore(file) {
  if (!P.hasTaskset || P.cores < 2 || process.env.BENCH_PINNED) return false;
  const child = spawn('taskset', ['-c', '1', process.execPath, file, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  });
  child.on('exit', (code) => process.exit(code ?? 1));
  return true;
}

/** The bench's TypeScript built, the upstream and a JWKS server started, the gateway's config written to a new folder. */
async function startBench(prefix, configOptions) {
  execSync('npx tsc -p tsconfig.bench.json', { cwd: ROOT, stdio: 'inherit' });
  const upPort = await P.freePort();
  const upstream = await P.start('upstream', 1, process.execPath, [join(__dirname, 'upstream.js'), String(upPort)], {
    ready: async (o) => o.includes('ready'),
  });
  const upUrl = `http://127.0.0.1:${upPort}`;
  const jwks = await startJwks();
  const work = mkdtempSync(join(tmpdir(), prefix));
  return { upstream, upUrl, jwks, work, configFile: writeBenchConfig(work, upUrl, configOptions) };
}

/**
 * The gateway as shipped, on core 0: the build in `dist` (this project's by default), the embedded database unless
 * `databaseUrl`, logs at the default level (an access-log line per request).
 */
async function startGateway(
  name,
  bench,
  { dist = join(ROOT, 'dist'), databaseUrl = '', configFile = bench.configFile } = {},
) {
  const port = await P.freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = await P.start(name, 0, process.execPath, [join(dist, 'main.js'), '--config', configFile], {
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(bench.work, `data-${name}`),
      JWT_PUBLIC_KEY_URL: bench.jwks.url,
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
    },
    ready: async () => (await fetch(`${url}/health/liveliness`)).ok,
  });
  // The embedded store is the gateway's database, run as PostgreSQL is in the PostgreSQL target: free to use any
  // core (it inherited the gateway's pinning). Its CPU is still counted and shown per call.
  const store = P.storePid(proc.pid);
  if (store && P.hasTaskset)
    execFileSync('taskset', ['-a', '-p', '-c', `0-${P.cores - 1}`, String(store)], { stdio: 'ignore' });
  return { proc, url };
}

/** The baseline forwarder (bench/baseline.ts), on core 0. */
async function startBaseline(bench) {
  const port = await P.freePort();
  const proc = await P.start(
    'baseline',
    0,
    process.execPath,
    [join(ROOT, 'dist-bench', 'bench', 'baseline.js'), String(port), bench.upUrl],
    { ready: async (o) => o.includes('ready') },
  );
  return { proc, url: `http://127.0.0.1:${port}` };
}

module.exports = { repinnedToLoadCore, startBench, startGateway, startBaseline };
