import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { readJson, spawnGateway, tempDir, type SpawnedGateway } from '../support/gateway';

const MASTER = 'sk-store-test-master-1';
const CONFIG = `general_settings:\n  master_key: ${MASTER}\n`;
const auth = { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' };

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The store process's pid and the gateway it serves, from the data folder's lock. */
function lockOf(dataDir: string): [number, number] | undefined {
  try {
    const [store, gateway] = readFileSync(join(dataDir, 'gateway.lock'), 'utf8').trim().split('\n').map(Number);
    return [store, gateway];
  } catch {
    return undefined;
  }
}

async function newKey(gw: SpawnedGateway): Promise<string> {
  const res = await fetch(`${gw.url}/key/generate`, { method: 'POST', headers: auth, body: '{}' });
  assert.equal(res.status, 200);
  return (await readJson(res)).key;
}

const keyInfo = async (gw: SpawnedGateway, key: string): Promise<number> =>
  (await fetch(`${gw.url}/key/info?key=${encodeURIComponent(key)}`, { headers: auth })).status;

function setup(): { config: string; dataDir: string } {
  const config = join(tempDir('gw-cfg-'), 'config.yaml');
  writeFileSync(config, CONFIG);
  return { config, dataDir: join(tempDir('gw-store-'), 'data') };
}

describe('embedded store process (production build)', () => {
  it('runs beside the gateway without its environment, behind a socket only this user can reach; killed, it is restarted with the data intact', async () => {
    const { config, dataDir } = setup();
    const gw = await spawnGateway(['--config', config], { DATA_DIR: dataDir, LITELLM_MASTER_KEY: MASTER });
    try {
      const [store, gateway] = lockOf(dataDir)!;
      assert.equal(gateway, gw.proc.pid);
      // No environment but Node's own IPC channel: none of the gateway's secrets (here the master key) reach the store.
      const names = readFileSync(`/proc/${store}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((v) => v.split('=')[0]);
      assert.deepEqual(names.sort(), ['NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE']);
      assert.match(readFileSync(`/proc/${gw.proc.pid}/environ`, 'utf8'), /LITELLM_MASTER_KEY=/);
      const socket = readFileSync(`/proc/${store}/cmdline`, 'utf8').split('\0')[3];
      assert.match(socket, /\/\.s\.PGSQL\.5432$/);
      const folder = statSync(dirname(socket));
      assert.equal(folder.mode & 0o777, 0o700, 'the socket folder is private to this user');
      assert.equal(folder.uid, process.getuid!());

      const key = await newKey(gw);
      assert.equal(await keyInfo(gw, key), 200);

      process.kill(store, 'SIGKILL');
      await until('a new store process holds the folder', () => {
        const now = lockOf(dataDir);
        return !!now && now[0] !== store && running(now[0]);
      });
      await until('readiness is back', async () => (await fetch(`${gw.url}/health/readiness`)).status === 200);
      // The data written before the kill is there (PostgreSQL recovered from its log), and writes work again.
      assert.equal(await keyInfo(gw, key), 200);
      const after = await newKey(gw);
      assert.equal(await keyInfo(gw, after), 200);
      assert.match(gw.output(), /embedded database process exited unexpectedly/);
      assert.match(gw.output(), /embedded database process restarted/);
    } finally {
      assert.equal(await gw.stop(), 0);
    }
    const last = lockOf(dataDir);
    assert.equal(last, undefined, 'the store released the folder at shutdown');
    assert.equal(gw.output().includes(MASTER), false, 'the master key is not logged');
  });

  it('a gateway killed outright takes its store with it; the next gateway opens the folder with its data', async () => {
    const { config, dataDir } = setup();
    const first = await spawnGateway(['--config', config], { DATA_DIR: dataDir });
    const [store] = lockOf(dataDir)!;
    const socket = readFileSync(`/proc/${store}/cmdline`, 'utf8').split('\0')[3];
    const key = await newKey(first);
    await first.stop('SIGKILL');
    // Its IPC channel closed with the gateway: the store closes the database, releases the folder and exits.
    await until('the orphaned store exits', () => !running(store), 15_000);
    assert.equal(lockOf(dataDir), undefined);
    assert.equal(existsSync(dirname(socket)), false, 'the orphaned store removed its socket folder');

    const second = await spawnGateway(['--config', config], { DATA_DIR: dataDir });
    try {
      assert.equal(await keyInfo(second, key), 200);
    } finally {
      assert.equal(await second.stop(), 0);
    }
  });
});
