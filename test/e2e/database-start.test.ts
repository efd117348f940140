import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findMigrationsDir, readMigrations } from '../../src/database/migration-runner';
import {
  readJson,
  runGatewayToExit,
  spawnGateway,
  startGateway,
  tempDir,
  type SpawnedGateway,
} from '../support/gateway';
import { createTestDatabase, sql } from '../support/postgres';

const CONFIG = 'general_settings:\n  master_key: sk-db-test-master-1\n';
const MIGRATIONS = readMigrations().map((m) => m.name);

/** A process's parent pid, from /proc. */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The `applied` list of the migration log line of a started process. */
function appliedBy(gw: SpawnedGateway): string[] {
  const line = gw
    .output()
    .split('\n')
    .find((l) => l.includes('"applied"'));
  assert.ok(line, `no migration log line in:\n${gw.output()}`);
  return JSON.parse(line).applied;
}

describe('embedded database (production build)', () => {
  it('the first start applies every migration, a second start on the same DATA_DIR applies none; one process at a time', async () => {
    assert.ok(MIGRATIONS.length >= 1);
    const dataDir = join(tempDir('gw-embedded-'), 'nested', 'data');
    const config = join(tempDir('gw-cfg-'), 'config.yaml');
    writeFileSync(config, CONFIG);

    const first = await spawnGateway(['--config', config], { DATA_DIR: dataDir }, 60_000);
    try {
      assert.deepEqual(appliedBy(first), MIGRATIONS);
      const ready = await fetch(`${first.url}/health/readiness`);
      assert.equal(ready.status, 200);
      assert.equal((await readJson(ready)).database, 'embedded');
      // The lock is held by the gateway's store process (a child of the gateway), then names the gateway.
      const [storePid, gatewayPid] = readFileSync(join(dataDir, 'gateway.lock'), 'utf8').trim().split('\n').map(Number);
      assert.equal(gatewayPid, first.proc.pid);
      assert.notEqual(storePid, first.proc.pid);
      assert.equal(parentOf(storePid), first.proc.pid);

      // PGlite is single-process: a second gateway on the same folder is refused with one clear line.
      const second = await runGatewayToExit(['--config', config], { DATA_DIR: dataDir, PORT: '0' }, 60_000);
      assert.equal(second.code, 1);
      const lines = second.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, second.stderr);
      const dir = dataDir.replace(/[/.]/g, '\\$&');
      assert.match(
        lines[0],
        new RegExp(
          `embedded database folder ${dir} is in use by process ${storePid} \\(the embedded database of gateway process ${first.proc.pid}\\)`,
        ),
      );
      assert.doesNotMatch(second.stderr, /\n\s+at /);
    } finally {
      assert.equal(await first.stop(), 0);
    }
    // The store process closed with its gateway and released the folder.
    assert.equal(existsSync(join(dataDir, 'gateway.lock')), false);

    const again = await spawnGateway(['--config', config], { DATA_DIR: dataDir }, 60_000);
    try {
      assert.deepEqual(appliedBy(again), []);
      assert.match(again.output(), /database schema is up to date/);
      assert.equal((await fetch(`${again.url}/health/readiness`)).status, 200);
    } finally {
      assert.equal(await again.stop(), 0);
    }
  });
});

describe('PostgreSQL database (production build)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db?.drop();
  });

  it('two instances started at the same moment on one empty database both come up; each migration is recorded once', async () => {
    const config = join(tempDir('gw-cfg-'), 'config.yaml');
    writeFileSync(config, CONFIG);
    const [a, b] = await Promise.all([
      spawnGateway(['--config', config], { DATABASE_URL: db.url }),
      spawnGateway(['--config', config], { DATABASE_URL: db.url }),
    ]);
    try {
      for (const gw of [a, b]) assert.equal((await fetch(`${gw.url}/health/readiness`)).status, 200);
      // The advisory lock serialised them: one applied everything, the other found nothing to do.
      assert.deepEqual(
        [appliedBy(a), appliedBy(b)].sort((x, y) => x.length - y.length),
        [[], MIGRATIONS],
      );

      const rows = await sql<{
        migration_name: string;
        checksum: string;
        finished_at: Date | null;
        rolled_back_at: Date | null;
        applied_steps_count: number;
      }>(
        db.url,
        'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
      );
      assert.deepEqual(
        rows.map((r) => r.migration_name),
        MIGRATIONS,
      );
      const dir = findMigrationsDir();
      for (const r of rows) {
        const sha = createHash('sha256')
          .update(readFileSync(join(dir, r.migration_name, 'migration.sql')))
          .digest('hex');
        assert.equal(r.checksum, sha, r.migration_name);
        assert.ok(r.finished_at instanceof Date);
        assert.equal(r.rolled_back_at, null);
        assert.equal(r.applied_steps_count, 1);
      }
      const tables = await sql<{ table_name: string }>(
        db.url,
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      for (const t of ['audit_log', 'virtual_keys'])
        assert.ok(
          tables.some((r) => r.table_name === t),
          t,
        );
    } finally {
      assert.deepEqual(await Promise.all([a.stop(), b.stop()]), [0, 0]);
    }
  });
});

describe('readiness', () => {
  it('answers 503 when the database becomes unreachable, the reason in the log only, never the database password', async () => {
    const db = await createTestDatabase();
    const url = new URL(db.url);
    url.password = 'db-secret-pw-31'; // trust auth ignores it; the gateway must still never show it
    const gw = await startGateway(CONFIG, { DATABASE_URL: url.toString() });
    try {
      assert.equal((await fetch(`${gw.url}/health/readiness`)).status, 200);
      await db.drop(); // closes the gateway's connections and removes the database
      const r = await fetch(`${gw.url}/health/readiness`);
      assert.equal(r.status, 503);
      const text = await r.text();
      const body = JSON.parse(text);
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(body.error.code, 'database_unavailable');
      assert.equal(body.error.type, 'service_unavailable');
      // The readiness route is public: the driver's text (host, port, database, user) goes to the operator's log.
      assert.equal(body.error.message, 'Not ready: the database is unreachable');
      const logged = gw.logs.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'readiness: database unreachable');
      assert.match(String(logged?.err), /does not exist|terminat|connect/i);
      assert.doesNotMatch(text, /db-secret-pw-31/);
      assert.doesNotMatch(gw.logs.text(), /db-secret-pw-31/);
      // Liveliness does not depend on the database.
      assert.equal((await fetch(`${gw.url}/health/liveliness`)).status, 200);
    } finally {
      await gw.close();
      await db.drop();
    }
  });
});
