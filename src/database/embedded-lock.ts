import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The embedded store (PGlite) is single-process: two processes writing one data folder would corrupt it. */
export class DataDirInUseError extends Error {
  constructor(
    message: string,
    /** The gateway the holder serves, when the holder is an embedded store's process. */
    readonly gateway?: number | null,
  ) {
    super(message);
  }
}

export const LOCK_FILE = 'gateway.lock';
/** Folders this process holds, so a second open in the same process is refused too. */
const held = new Set<string>();

/**
 * Takes the data folder for this process: `<dataDir>/gateway.lock` holds our pid (then, for the embedded store's
 * process, the pid of the gateway it serves). A lock left by a process that no longer runs is taken over. Returns
 * the release function (idempotent).
 */
export function lockDataDir(dataDir: string, gatewayPid?: number): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  if (held.has(file)) throw inUse(dataDir, process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, gatewayPid ? `${process.pid}\n${gatewayPid}\n` : `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const [owner, gateway] = readOwners(file);
      if (owner !== null && owner !== process.pid && isRunning(owner)) throw inUse(dataDir, owner, gateway);
      unlinkSync(file); // stale: its process is gone (or it is our own pid, left by a process we replaced)
    }
  }
  held.add(file);
  return () => {
    if (!held.delete(file)) return;
    try {
      if (readOwners(file)[0] === process.pid) unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
}

/**
 * `lockDataDir` for the embedded store's process, which may start while the store of a gateway that was killed
 * outright is still closing the same folder (a supervisor restarting the gateway at once): a holder whose gateway no
 * longer runs is such an orphan, and is waited for, up to `waitMs`. Any other holder is refused at once.
 */
export async function lockDataDirAfterOrphan(dataDir: string, gatewayPid: number, waitMs: number): Promise<() => void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return lockDataDir(dataDir, gatewayPid);
    } catch (err) {
      const orphan = err instanceof DataDirInUseError && !!err.gateway && !isRunning(err.gateway);
      if (!orphan || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function inUse(dataDir: string, pid: number, gateway?: number | null): DataDirInUseError {
  const by = gateway ? `process ${pid} (the embedded database of gateway process ${gateway})` : `process ${pid}`;
  return new DataDirInUseError(
    `the embedded database folder ${dataDir} is in use by ${by}; the embedded store serves one process only ` +
      '(stop the other one, use another DATA_DIR, or set DATABASE_URL to share a PostgreSQL database between instances)',
    gateway,
  );
}

/** The lock's pid and, when the embedded store's process holds it, the pid of the gateway it serves. */
function readOwners(file: string): [number | null, number | null] {
  try {
    const [pid, gateway] = readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => Number.parseInt(l, 10));
    const valid = (n: number | undefined): number | null =>
      n !== undefined && Number.isInteger(n) && n > 0 ? n : null;
    return [valid(pid), valid(gateway)];
  } catch {
    return [null, null];
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
