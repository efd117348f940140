import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The embedded store (PGlite) is single-process: two processes writing one data folder would corrupt it. */
export class DataDirInUseError extends Error {}

export const LOCK_FILE = 'gateway.lock';
/** Folders this process holds, so a second open in the same process is refused too. */
const held = new Set<string>();

/**
 * Takes the data folder for this process: `<dataDir>/gateway.lock` holds our pid. A lock left by a process that no
 * longer runs is taken over. Returns the release function (idempotent).
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, LOCK_FILE);
  if (held.has(file)) throw inUse(dataDir, process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const owner = readOwner(file);
      if (owner !== null && owner !== process.pid && isRunning(owner)) throw inUse(dataDir, owner);
      unlinkSync(file); // stale: its process is gone (or it is our own pid, left by a process we replaced)
    }
  }
  held.add(file);
  return () => {
    if (!held.delete(file)) return;
    try {
      if (readOwner(file) === process.pid) unlinkSync(file);
    } catch {
      /* already gone */
    }
  };
}

function inUse(dataDir: string, pid: number): DataDirInUseError {
  return new DataDirInUseError(
    `the embedded database folder ${dataDir} is in use by process ${pid}; the embedded store serves one process only ` +
      '(stop the other one, use another DATA_DIR, or set DATABASE_URL to share a PostgreSQL database between instances)',
  );
}

function readOwner(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
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
