import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { GatewayConfig } from '../../src/config/gateway-config';
import { PRISMA_LOCK_KEY } from '../../src/database/migration-runner';
import { startTcpProxy, type TcpProxy } from '../support/faults';
import { createTestDatabase } from '../support/postgres';
import { openDatabase } from '../support/database';

/**
 * The connection that applies migrations at start can be dropped under a running statement (the database restarted,
 * an administrator ended the session): the start must fail with an error, not take the process down with an
 * unhandled 'error' event.
 */
describe('database start: the migration connection dropped mid-statement', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let holder: Client;
  let proxy: TcpProxy;
  before(async () => {
    db = await createTestDatabase('gw_start_drop');
    holder = new Client({ connectionString: db.url });
    await holder.connect();
    const target = new URL(db.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  });
  after(async () => {
    await proxy?.close();
    await holder?.end();
    await db?.drop();
  });

  it('fails the start with an error and leaves the process running', async () => {
    // Holding the migrations' lock keeps the gateway's migration statement waiting, where it can be ended.
    await holder.query('SELECT pg_advisory_lock($1)', [PRISMA_LOCK_KEY]);
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    const config = {
      database: { kind: 'postgres', url: viaProxy.toString(), source: 'DATABASE_URL' },
    } as GatewayConfig;
    const opening = openDatabase(config).then(
      () => null,
      (err: Error) => err,
    );
    let waiting: number | undefined;
    for (let i = 0; i < 100 && waiting === undefined; i++) {
      const { rows } = await holder.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND wait_event_type = 'Lock' AND query LIKE '%pg_advisory_lock%'`,
      );
      waiting = rows[0]?.pid;
      if (waiting === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(waiting, 'the gateway never waited on the migrations lock');
    // The connection is cut under the waiting statement, as a database restart or a network cut does it.
    await proxy.stop();
    const failed = await opening;
    assert.ok(failed instanceof Error, 'the start went on without its migrations');
    // An unhandled 'error' would have ended this process before here; a moment more lets a late one surface.
    await new Promise((r) => setTimeout(r, 200));
    await holder.query('SELECT pg_advisory_unlock($1)', [PRISMA_LOCK_KEY]);
    await proxy.start();
  });
});
