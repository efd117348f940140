import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DataDirInUseError, lockDataDir, lockDataDirAfterOrphan } from '../../src/database/embedded-lock';
import { tempDir } from '../support/gateway';

describe('embedded data folder lock', () => {
  it('holds the folder with our pid, refuses a second open in this process, releases on close', () => {
    const dir = join(tempDir('gw-lock-'), 'data');
    const release = lockDataDir(dir);
    assert.equal(readFileSync(join(dir, 'gateway.lock'), 'utf8').trim(), String(process.pid));
    assert.throws(() => lockDataDir(dir), DataDirInUseError);
    release();
    release(); // idempotent
    assert.equal(existsSync(join(dir, 'gateway.lock')), false);
    lockDataDir(dir)();
  });

  it('refuses a folder held by another running process, naming it', () => {
    const dir = tempDir('gw-lock-');
    // Our parent (the test runner) is a live process that is not us.
    writeFileSync(join(dir, 'gateway.lock'), `${process.ppid}\n`);
    assert.throws(
      () => lockDataDir(dir),
      (err: Error) =>
        err instanceof DataDirInUseError &&
        err.message.includes(`in use by process ${process.ppid}`) &&
        !err.message.includes('\n'),
    );
    assert.equal(
      readFileSync(join(dir, 'gateway.lock'), 'utf8').trim(),
      String(process.ppid),
      'the other lock is left alone',
    );
  });

  it("the embedded store's process writes the gateway it serves after its own pid; a second opener is told both", () => {
    const dir = join(tempDir('gw-lock-'), 'data');
    const release = lockDataDir(dir, 4242);
    assert.equal(readFileSync(join(dir, 'gateway.lock'), 'utf8'), `${process.pid}\n4242\n`);
    release();
    // Held by a live process (the test runner) on behalf of gateway 4242: the message names both.
    writeFileSync(join(dir, 'gateway.lock'), `${process.ppid}\n4242\n`);
    assert.throws(
      () => lockDataDir(dir),
      (err: Error) =>
        err instanceof DataDirInUseError &&
        err.message.includes(`in use by process ${process.ppid} (the embedded database of gateway process 4242)`),
    );
    // The gateway named second is not what decides: a dead first pid is a stale lock, taken over.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'gateway.lock'), `${dead.stdout}\n${process.ppid}\n`);
    lockDataDir(dir)();
  });

  it('takes over a lock left by a process that no longer runs', () => {
    const dir = tempDir('gw-lock-');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, 'gateway.lock'), `${dead.stdout}\n`);
    const release = lockDataDir(dir);
    assert.equal(readFileSync(join(dir, 'gateway.lock'), 'utf8').trim(), String(process.pid));
    release();
  });

  it("a new store waits for an orphaned store (its gateway gone) to close the folder, and refuses a live gateway's store at once", async () => {
    const dir = join(tempDir('gw-lock-'), 'data');
    const deadGateway = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout,
    );
    // The orphan: a live process holding the lock for a gateway that no longer runs; it exits after ~1 s.
    const orphan = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1000)'], { stdio: 'ignore' });
    const exited = new Promise((r) => orphan.once('exit', r));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'gateway.lock'), `${orphan.pid}\n${deadGateway}\n`);
    let settled = false;
    const taking = lockDataDirAfterOrphan(dir, process.pid, 15_000).finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(settled, false, 'taken while the orphan still held the folder');
    await exited;
    const release = await taking;
    assert.equal(readFileSync(join(dir, 'gateway.lock'), 'utf8'), `${process.pid}\n${process.pid}\n`);
    release();

    // Held by a live store whose gateway (the test runner) runs: refused at once, naming both.
    writeFileSync(join(dir, 'gateway.lock'), `${process.ppid}\n${process.ppid}\n`);
    const started = Date.now();
    await assert.rejects(
      lockDataDirAfterOrphan(dir, process.pid, 15_000),
      (err: Error) => err instanceof DataDirInUseError && err.message.includes(`gateway process ${process.ppid}`),
    );
    assert.ok(Date.now() - started < 1_000, `refused after ${Date.now() - started} ms`);

    // An orphan that never lets go: refused once the wait is over.
    writeFileSync(join(dir, 'gateway.lock'), `${process.ppid}\n${deadGateway}\n`);
    await assert.rejects(lockDataDirAfterOrphan(dir, process.pid, 300), DataDirInUseError);
  });
});
