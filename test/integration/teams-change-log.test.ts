import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { applyMigrations } from '../../src/database/migration-runner';
import { AccessObjects } from '../../src/keys/access/access-objects.service';
import { startGateway, type InProcessGateway } from '../support/gateway';
import { waitFor } from '../support/management-api';
import { createTestDatabase } from '../support/postgres';

const LIMITS = [
  'models',
  'max_budget',
  'soft_budget',
  'budget_duration',
  'budget_reset_at',
  'rpm_limit',
  'tpm_limit',
  'max_parallel_requests',
  'blocked',
];
/** Not held by the mirror: the spend batch writes the first four every second; the others admission never reads. */
const COMMON_NOT_CACHED = ['spend', 'soft_budget_alerted_at', 'updated_at', 'updated_by', 'change_seq'];
const TABLES = {
  teams: {
    id: 'team_id',
    cached: ['team_id', 'team_alias', ...LIMITS],
    notCached: ['organization_id', 'admins', 'members', 'members_with_roles', 'metadata', 'extra', 'created_by'],
  },
  users: {
    id: 'user_id',
    // user_role: the role the user's virtual keys act with.
    cached: ['user_id', 'user_alias', 'user_role', ...LIMITS],
    notCached: ['user_email', 'teams', 'metadata', 'extra', 'created_by'],
  },
  end_users: {
    id: 'user_id',
    cached: ['user_id', 'alias', ...LIMITS],
    // A budget's limits are copied into the end user's limit columns, which the trigger watches.
    notCached: ['allowed_model_region', 'default_model', 'metadata', 'extra', 'budget_id', 'created_by'],
  },
} as const;

async function migrated(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  await c.connect();
  await applyMigrations({
    query: async <T>(s: string, p?: unknown[]) => (await c.query(s, p)).rows as T[],
    exec: async (s) => void (await c.query(s)),
  });
  return c;
}

describe('teams, users and end users change log trigger', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let c: Client;
  const seqOf = async (table: string, idCol: string, id: string) =>
    Number((await c.query(`SELECT change_seq FROM ${table} WHERE ${idCol} = $1`, [id])).rows[0].change_seq);

  before(async () => {
    db = await createTestDatabase('gw_objects_change_log');
    c = await migrated(db.url);
    for (const [table, t] of Object.entries(TABLES)) await c.query(`INSERT INTO ${table} (${t.id}) VALUES ('o1')`);
  });
  after(async () => {
    await c?.end();
    await db?.drop();
  });

  it('a spend-only update (and one of a column the mirror does not hold) neither raises change_seq nor runs the function', async () => {
    for (const [table, t] of Object.entries(TABLES)) {
      const seq = await seqOf(table, t.id, 'o1');
      await c.query("SET track_functions = 'pl'");
      await c.query('BEGIN');
      await c.query(
        `UPDATE ${table} SET spend = spend + 1, soft_budget_alerted_at = now(), updated_at = now(), updated_by = 'batch',
           metadata = '{"a":1}' WHERE ${t.id} = 'o1'`,
      );
      const calls = await c.query(
        "SELECT calls FROM pg_stat_xact_user_functions WHERE funcname = 'llmgw_object_changed'",
      );
      await c.query('COMMIT');
      assert.equal(Number(calls.rows[0]?.calls ?? 0), 0, table);
      assert.equal(await seqOf(table, t.id, 'o1'), seq, table);
    }
  });

  it('a change to a held column raises change_seq; an id change and a delete leave tombstones of their kind', async () => {
    for (const [table, t] of Object.entries(TABLES)) {
      const seq = await seqOf(table, t.id, 'o1');
      await c.query(`UPDATE ${table} SET rpm_limit = 5 WHERE ${t.id} = 'o1'`);
      assert.ok((await seqOf(table, t.id, 'o1')) > seq, table);
      await c.query(`UPDATE ${table} SET ${t.id} = 'o2' WHERE ${t.id} = 'o1'`);
      await c.query(`DELETE FROM ${table} WHERE ${t.id} = 'o2'`);
    }
    const tombs = await c.query('SELECT kind, id FROM access_object_tombstones ORDER BY change_seq');
    assert.deepEqual(
      tombs.rows.map((r) => `${r.kind}:${r.id}`),
      ['team:o1', 'team:o2', 'user:o1', 'user:o2', 'end_user:o1', 'end_user:o2'],
    );
  });

  it('every column is classified, and every held one is in its table’s trigger condition', async () => {
    for (const [table, t] of Object.entries(TABLES)) {
      const cols = (
        await c.query('SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY column_name', [
          table,
        ])
      ).rows.map((r) => r.column_name as string);
      assert.deepEqual(cols, [...t.cached, ...t.notCached, ...COMMON_NOT_CACHED, 'created_at'].sort(), table);
      const def = (
        await c.query('SELECT pg_get_triggerdef(oid) AS d FROM pg_trigger WHERE tgname = $1', [
          `${table}_change_log_update`,
        ])
      ).rows[0].d as string;
      for (const col of t.cached) assert.match(def, new RegExp(`new\\.${col}\\b`, 'i'), `${table}.${col}`);
    }
  });
});

describe('teams, users and end users changed straight in the database (another instance, no broadcast)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let c: Client;
  let gw: InProcessGateway;
  let objects: AccessObjects;

  before(async () => {
    db = await createTestDatabase('gw_objects_follow');
    c = await migrated(db.url);
    await c.query(`INSERT INTO teams (team_id) SELECT 'team-' || i FROM generate_series(1, 1000) i`);
    await c.query(`INSERT INTO users (user_id) VALUES ('user-1')`);
    gw = await startGateway('general_settings:\n  master_key: sk-objects-follow-1\n  user_api_key_cache_ttl: 0.2\n', {
      DATABASE_URL: db.url,
    });
    objects = gw.app.get(AccessObjects);
  });
  after(async () => {
    await gw?.close();
    await c?.end();
    await db?.drop();
  });

  /** Polls that ran, and what they read, while `fn` runs and for `ms` after. */
  async function cost(fn: () => Promise<void>, ms: number): Promise<{ reads: number; entries: number }> {
    const [reads, entries] = [objects.changes.reads, objects.changes.entriesRead];
    await fn();
    await new Promise((r) => setTimeout(r, ms));
    return { reads: objects.changes.reads - reads, entries: objects.changes.entriesRead - entries };
  }

  it('holds the 1,000 teams; spend-only updates read nothing', async () => {
    assert.equal([...objects.all('team')].length, 1000);
    const spent = await cost(async () => {
      for (let i = 0; i < 5; i++) await c.query(`UPDATE teams SET spend = spend + 1, updated_at = now()`);
    }, 1_000);
    assert.ok(spent.reads >= 3, `${spent.reads} polls`);
    assert.equal(spent.entries, 0);
  });

  it('one team changed: seen within the interval, and each refresh reads that one row, not the 1,000', async () => {
    const changed = await cost(async () => {
      await c.query(`UPDATE teams SET max_budget = 5, blocked = true WHERE team_id = 'team-7'`);
      await waitFor(() => objects.get('team', 'team-7')?.blocked === true, 2_000, 'team-7 blocked');
    }, 500);
    assert.equal(objects.get('team', 'team-7')?.maxBudget, 5);
    assert.ok(changed.reads >= 2, `${changed.reads} polls`);
    assert.ok(changed.entries >= 1 && changed.entries <= changed.reads, JSON.stringify(changed));
  });

  it('a user blocked or given a role, an end user given a budget, a team deleted: each seen within the interval', async () => {
    await c.query(`UPDATE users SET blocked = true WHERE user_id = 'user-1'`);
    await c.query(`INSERT INTO end_users (user_id) VALUES ('customer-1')`);
    await waitFor(() => objects.get('user', 'user-1')?.blocked === true, 2_000, 'user-1 blocked');
    assert.equal(objects.get('end_user', 'customer-1'), undefined, 'an end user without limits is not held');
    await c.query(`UPDATE end_users SET max_budget = 1 WHERE user_id = 'customer-1'`);
    await waitFor(() => objects.get('end_user', 'customer-1')?.maxBudget === 1, 2_000, 'customer-1 held');
    const version = objects.usersVersion;
    await c.query(`UPDATE users SET user_role = 'proxy_admin_viewer' WHERE user_id = 'user-1'`);
    await waitFor(() => objects.userRoleOf('user-1') === 'proxy_admin_viewer', 2_000, 'user-1 a viewer');
    assert.ok(objects.usersVersion > version, 'the keys of users learn that a role changed');
    await c.query(`DELETE FROM teams WHERE team_id = 'team-8'`);
    await waitFor(() => objects.get('team', 'team-8') === undefined, 2_000, 'team-8 gone');
    assert.equal([...objects.all('team')].length, 999);
  });
});
