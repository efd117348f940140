import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createGateway } from '../../src/bootstrap';
import { loadGatewayConfig } from '../../src/config/config.loader';
import type { GatewayConfig } from '../../src/config/gateway-config';
import { createLogger } from '../../src/logging/logger';
import { LIMITER } from '../../src/keys/limits/limiter';
import type { RedisLimiter } from '../../src/keys/limits/redis-limiter';

export const ROOT = resolve(__dirname, '..', '..', '..');

export function tempDir(prefix = 'gw-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a YAML config to a temp file and returns its path. */
export function writeConfig(yaml: string): string {
  const file = join(tempDir('gw-cfg-'), 'config.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** Collects log lines (JSON strings) in memory, to assert on what was and was not logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    cb();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface InProcessGateway {
  url: string;
  app: NestFastifyApplication;
  config: GatewayConfig;
  logs: LogCapture;
  close(): Promise<void>;
}

/**
 * Starts the real gateway in this process on a free port (config from YAML text + env), with logs captured.
 * Without DATABASE_URL in env, an embedded store in a fresh temp DATA_DIR is used.
 */
export async function startGateway(
  yaml: string,
  env: Record<string, string | undefined> = {},
): Promise<InProcessGateway> {
  const file = writeConfig(yaml);
  const fullEnv = { DATA_DIR: join(tempDir('gw-data-'), 'data'), ...env, PORT: '0' };
  const config = loadGatewayConfig({ argv: ['--config', file], env: fullEnv, cwd: ROOT });
  const logs = new LogCapture();
  const log = createLogger({ level: env.LOG_LEVEL ?? 'info', secrets: config.secrets }, logs);
  const app = await createGateway(config, log);
  await app.listen(0, '127.0.0.1');
  const addr = app.getHttpServer().address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, app, config, logs, close: () => app.close() };
}

/** The prefix of a limit scope's Redis keys in this gateway (with REDIS_URL): `${limitKeys(gw, 'k:' + token)}rpm`. */
export function limitKeys(gw: InProcessGateway, scopeId: string): string {
  return gw.app.get<RedisLimiter>(LIMITER).keyBase(scopeId);
}

export interface SpawnedGateway {
  url: string;
  proc: ChildProcess;
  output: () => string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  /** Working directory of the process (default: the repository root). */
  cwd?: string;
}

/**
 * How long a spawned gateway may take to become live. With PostgreSQL a start takes ~1 s. Without DATABASE_URL a
 * fresh DATA_DIR means PGlite's initdb: ~3 s of single-threaded WebAssembly on an idle core, measured 8.5 s at load
 * 1.5 and over 30 s in a parallel run on this 2-core machine (the CPU is shared, nothing is waiting): that start
 * gets three times the bound.
 */
export function startTimeoutMs(env: Record<string, string | undefined>): number {
  return env.DATABASE_URL ? 30_000 : 90_000;
}

/** How long stop() waits for the process to exit before it kills it and fails: past the gateway's own bound (10 s + 5 s). */
const STOP_TIMEOUT_MS = 30_000;

/**
 * Runs the production build (`node dist/main.js`) as a separate process and waits for liveliness. Only PATH and the
 * given env reach it (plus a fresh DATA_DIR unless given, HOST 127.0.0.1, and PORT 0 unless given: the gateway binds
 * a port the system picks and names it in its "gateway listening" line, so no other process can take it between
 * choosing and binding, as it could with a port probed free beforehand).
 */
export async function spawnGateway(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = startTimeoutMs(env),
  opts: SpawnOptions = {},
): Promise<SpawnedGateway> {
  if (!env.PORT && env.LOG_LEVEL === 'silent') {
    throw new Error('spawnGateway learns the port from the "gateway listening" line: give PORT with LOG_LEVEL=silent');
  }
  const proc = spawn(process.execPath, [join(ROOT, 'dist', 'main.js'), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: {
      PATH: process.env.PATH,
      DATA_DIR: join(tempDir('gw-data-'), 'data'),
      ...env,
      PORT: env.PORT ?? '0',
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  // 'close' (not 'exit'): by then the child's last output has been read, for callers that check it after stop().
  const exited = new Promise<number | null>((r) => proc.once('close', (code) => r(code)));
  const deadline = Date.now() + timeoutMs;
  const fail = (why: string) => {
    proc.kill('SIGKILL');
    return new Error(`${why}:\n${out}`);
  };
  let url: string | undefined;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`gateway exited with ${proc.exitCode}:\n${out}`);
    url ??= listeningUrl(out);
    // Each probe is bounded: whatever answers must be this gateway, and a probe must not outlive the start bound.
    if (
      url &&
      (await fetch(`${url}/health/liveliness`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      ))
    )
      break;
    if (Date.now() > deadline) throw fail(`gateway did not become live in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    proc,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null) proc.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), STOP_TIMEOUT_MS)));
      const code = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (code !== 'late') return code;
      proc.kill('SIGKILL');
      await exited;
      throw new Error(`gateway did not exit within ${STOP_TIMEOUT_MS} ms of ${signal}; killed:\n${out.slice(-4000)}`);
    },
  };
}

/**
 * The address in the gateway's "gateway listening" log line (its bound port), once that line has been written:
 * a JSON line, or a pretty one (`... gateway listening url=... port=4000 ...`, LOG_FORMAT=pretty).
 */
function listeningUrl(out: string): string | undefined {
  for (const line of out.split('\n')) {
    if (line.includes('"gateway listening"')) {
      try {
        const { port } = JSON.parse(line) as { port?: unknown };
        if (typeof port === 'number' && port > 0) return `http://127.0.0.1:${port}`;
      } catch {
        /* a line still being written */
      }
    }
    const pretty = / gateway listening .*\bport=(\d+) /.exec(line);
    if (pretty && Number(pretty[1]) > 0) return `http://127.0.0.1:${pretty[1]}`;
  }
  return undefined;
}

/** Runs `node dist/main.js` expecting it to exit (bad config); resolves with exit code and output. */
export function runGatewayToExit(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 20_000,
  opts: SpawnOptions = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const proc = spawn(process.execPath, [join(ROOT, 'dist', 'main.js'), ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`gateway did not exit within ${timeoutMs} ms: ${stdout}${stderr}`));
    }, timeoutMs);
    // 'close', not 'exit': 'exit' can come before the last of the child's output has been read from its pipes.
    proc.once('close', (code) => {
      clearTimeout(t);
      resolveRun({ code, stdout, stderr });
    });
  });
}

export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((r, j) => {
    const s = net.createServer();
    s.once('error', j);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => r(port));
    });
  });
}

/** `await res.json()` typed loosely, for assertions. */
export async function readJson(res: Response): Promise<any> {
  return res.json();
}
