import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DataDirInUseError, lockDataDir } from '../../src/database/embedded-lock';
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
    assert.throws(() => lockDataDir(dir), (err: Error) => err instanceof DataDirInUseError && err.message.includes(`in use by process ${process.ppid}`) && !err.message.includes('\n'));
    assert.equal(readFileSync(join(dir, 'gateway.lock'), 'utf8').trim(), String(process.ppid), 'the other lock is left alone');
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
      (err: Error) => err instanceof DataDirInUseError && err.message.includes(`in use by process ${process.ppid} (the embedded database of gateway process 4242)`),
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
});
