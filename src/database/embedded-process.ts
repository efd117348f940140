import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { DataDirInUseError } from './embedded-lock';
import type { EmbeddedServerMessage } from './embedded-server';

/** PostgreSQL's socket file name for a port: pg connects to `<host folder>/.s.PGSQL.<port>`. */
export const EMBEDDED_PORT = 5432;
/** Longest wait for the store to be ready: generous, since a first start on a busy machine may run initdb. */
const START_TIMEOUT_MS = 180_000;
/** Longest wait for a clean close (checkpoint) before the process is killed. */
const CLOSE_TIMEOUT_MS = 15_000;
export const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;

/**
 * The embedded store's process (embedded-server.ts), seen from the gateway: started before the database is opened,
 * restarted with backoff when it dies (the pool's next connection reaches the new one: same socket path), closed
 * after the gateway's last query. Its socket lives in a fresh folder that only this user can enter (mode 0700): the
 * socket has no password, so the folder is the access control.
 */
export class EmbeddedDatabaseProcess {
  /** The folder holding the socket, as pg's `host`. */
  readonly socketDir: string;
  private child: ChildProcess | undefined;
  private closing = false;
  private restartDelay = RESTART_MIN_MS;
  private restartTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly dataDir: string,
    private readonly log: Logger,
  ) {
    this.socketDir = mkdtempSync(join(tmpdir(), 'llm-gateway-db-'));
  }

  static async start(dataDir: string, log: Logger): Promise<EmbeddedDatabaseProcess> {
    mkdirSync(dirname(dataDir), { recursive: true });
    const p = new EmbeddedDatabaseProcess(dataDir, log);
    try {
      await p.spawn();
    } catch (err) {
      p.closing = true;
      rmSync(p.socketDir, { recursive: true, force: true });
      throw err;
    }
    return p;
  }

  /** The store process's pid (tests, diagnostics), undefined while it is being restarted. */
  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  private spawn(): Promise<void> {
    const socketPath = join(this.socketDir, `.s.PGSQL.${EMBEDDED_PORT}`);
    // No environment (it needs none, and so holds none of the gateway's secrets), no inherited Node flags, and a
    // process group of its own: Ctrl-C in a terminal goes to the gateway, which closes the store after its last write.
    const child = fork(join(__dirname, 'embedded-server.js'), [this.dataDir, socketPath], {
      env: {},
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      detached: true,
    });
    this.child = child;
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n'))
        if (line.trim()) this.log.warn({ pid: child.pid }, `embedded database: ${line.slice(0, 1000)}`);
    });
    child.on('error', (err) => this.log.error({ err: err.message }, 'embedded database process error'));
    child.on('message', (m: EmbeddedServerMessage) => {
      if (m.type === 'warn') this.log.warn(`embedded database: ${m.message}`);
    });
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the embedded database did not start within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      const onMessage = (m: EmbeddedServerMessage): void => {
        if (m.type === 'warn') return;
        settle();
        if (m.type === 'ready') {
          child.on('exit', (code, signal) => this.exited(child, code, signal));
          resolve();
        } else reject(m.inUse ? new DataDirInUseError(m.message) : new Error(`embedded database: ${m.message}`));
      };
      const onExit = (code: number | null, signal: string | null): void => {
        settle();
        reject(new Error(`the embedded database process exited while starting (${signal ?? `exit code ${code}`})`));
      };
      const onError = (err: Error): void => {
        settle();
        reject(new Error(`could not start the embedded database process: ${err.message}`));
      };
      const settle = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.on('error', onError);
    });
  }

  private exited(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.closing || child !== this.child) return;
    this.log.error(
      { code, signal },
      `embedded database process exited unexpectedly; restarting in ${this.restartDelay} ms`,
    );
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const delay = this.restartDelay;
    this.restartDelay = Math.min(delay * 2, RESTART_MAX_MS);
    this.restartTimer = setTimeout(() => {
      if (this.closing) return;
      this.spawn().then(
        () => {
          this.restartDelay = RESTART_MIN_MS;
          this.log.info({ pid: this.child?.pid }, 'embedded database process restarted');
        },
        (err: Error) => {
          if (this.closing) return;
          this.log.error(
            { err: err.message },
            `embedded database did not restart; trying again in ${this.restartDelay} ms`,
          );
          this.scheduleRestart();
        },
      );
    }, delay);
  }

  /** Asks the store to close (it checkpoints and releases the data folder), waits for it to exit, removes the socket. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (!child.connected || !child.send({ type: 'close' })) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), CLOSE_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.socketDir, { recursive: true, force: true });
  }
}
