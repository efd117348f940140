import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { applyMigrations } from '../../src/database/migration-runner';
import { createTestDatabase } from '../support/postgres';

/** Columns whose change the key cache must see, and those it must not (the spend batch writes these each second). */
const CACHED = [
  'token',
  'key_name',
  'key_alias',
  'models',
  'allowed_routes',
  'expires',
  'max_budget',
  'rpm_limit',
  'tpm_limit',
  'max_parallel_requests',
  'metadata',
  'team_id',
  'user_id',
  'created_by',
  'blocked',
  'blocked_by',
  'extra',
  'budget_duration',
  'budget_reset_at',
  'soft_budget',
  'created_at',
];
const NOT_CACHED = [
  'spend',
  'model_spend',
  'soft_budget_alerted_at',
  'updated_at',
  'updated_by',
  'change_seq',
  // The key's budget: what it gives is copied into the limit columns above, which the trigger watches.
  'budget_id',
  'budget_limits',
];

describe('virtual_keys change log trigger', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let c: Client;
  const seqOf = async (token: string) =>
    Number((await c.query('SELECT change_seq FROM virtual_keys WHERE token = $1', [token])).rows[0].change_seq);

  before(async () => {
    db = await createTestDatabase('gw_keys_change_log');
    c = new Client({ connectionString: db.url });
    await c.connect();
    await applyMigrations({
      query: async <T>(s: string, p?: unknown[]) => (await c.query(s, p)).rows as T[],
      exec: async (s) => void (await c.query(s)),
    });
    await c.query(
      `INSERT INTO virtual_keys (token, key_name, created_by, updated_at) VALUES ('t1', 'sk-...1', 'x', now())`,
    );
  });
  after(async () => {
    await c?.end();
    await db?.drop();
  });

  it('a spend-only update neither raises change_seq nor runs the trigger function', async () => {
    const seq = await seqOf('t1');
    await c.query("SET track_functions = 'pl'");
    await c.query('BEGIN');
    await c.query(
      `UPDATE virtual_keys SET spend = spend + 1, model_spend = '{"g":1}', soft_budget_alerted_at = now(),
         updated_at = now(), updated_by = 'batch' WHERE token = 't1'`,
    );
    const calls = await c.query(
      "SELECT sum(calls) AS calls FROM pg_stat_xact_user_functions WHERE funcname IN ('llmgw_key_changed', 'llmgw_key_updated')",
    );
    await c.query('COMMIT');
    assert.equal(Number(calls.rows[0]?.calls ?? 0), 0);
    assert.equal(await seqOf('t1'), seq);
  });

  it('a change to a held column raises change_seq; a token change and a delete leave tombstones', async () => {
    const seq = await seqOf('t1');
    await c.query(`UPDATE virtual_keys SET rpm_limit = 5 WHERE token = 't1'`);
    const raised = await seqOf('t1');
    assert.ok(raised > seq);
    await c.query(`UPDATE virtual_keys SET metadata = '{"a":1}' WHERE token = 't1'`);
    assert.ok((await seqOf('t1')) > raised);
    await c.query(`UPDATE virtual_keys SET token = 't2' WHERE token = 't1'`);
    await c.query(`DELETE FROM virtual_keys WHERE token = 't2'`);
    const tombs = await c.query('SELECT token FROM virtual_key_tombstones ORDER BY change_seq');
    assert.deepEqual(
      tombs.rows.map((r) => r.token),
      ['t1', 't2'],
    );
  });

  it('a budget period moved alone (as the spend write does at its end) raises change_seq', async () => {
    await c.query(
      `INSERT INTO virtual_keys (token, key_name, created_by, updated_at) VALUES ('t3', 'sk-...3', 'x', now())`,
    );
    const seq = await seqOf('t3');
    await c.query(`UPDATE virtual_keys SET budget_reset_at = now(), spend = 0 WHERE token = 't3'`);
    const raised = await seqOf('t3');
    assert.ok(raised > seq);
    await c.query(`UPDATE virtual_keys SET budget_reset_at = budget_reset_at, spend = 1 WHERE token = 't3'`);
    assert.equal(await seqOf('t3'), raised);
  });

  it('an update naming budget_reset_at and another held column is one change: one number drawn', async () => {
    await c.query(
      `INSERT INTO virtual_keys (token, key_name, created_by, updated_at) VALUES ('t4', 'sk-...4', 'x', now())`,
    );
    const drawn = async () => Number((await c.query('SELECT last_value FROM llmgw_key_change_seq')).rows[0].last_value);
    const before = await drawn();
    // As /key/update writes a new budget_duration: the period's end moves with it.
    await c.query(
      `UPDATE virtual_keys SET budget_duration = '1d', budget_reset_at = now() + interval '1 day' WHERE token = 't4'`,
    );
    assert.equal(await drawn(), before + 1);
    assert.equal(await seqOf('t4'), before + 1);
  });

  it('an update takes no row lock of its own before it (one WAL record a row, not two)', async () => {
    // Every 8th row of those inserted: each page has room for its rows' new versions (updated in place).
    const rows = 50;
    await c.query(
      `INSERT INTO virtual_keys (token, key_name, created_by, updated_at)
       SELECT 'w' || i, 'sk-...', 'x', now() FROM generate_series(1, $1) i`,
      [rows * 8],
    );
    await c.query('CHECKPOINT');
    const [{ 'QUERY PLAN': plan }] = (
      await c.query(
        `EXPLAIN (ANALYZE, WAL, FORMAT JSON) UPDATE virtual_keys SET spend = spend + 1,
           budget_reset_at = budget_reset_at WHERE token LIKE 'w%' AND substr(token, 2)::int % 8 = 0`,
      )
    ).rows;
    const records = (plan as { Plan: { 'WAL Records': number } }[])[0].Plan['WAL Records'];
    assert.ok(records < rows * 1.5, `${records} WAL records for ${rows} rows`);
  });

  it('every virtual_keys column is classified, and every held one is in the trigger condition', async () => {
    const cols = (
      await c.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'virtual_keys' ORDER BY column_name",
      )
    ).rows.map((r) => r.column_name as string);
    assert.deepEqual(cols, [...CACHED, ...NOT_CACHED].sort());
    const def = (
      await c.query(
        "SELECT pg_get_triggerdef(oid) AS d FROM pg_trigger WHERE tgname = 'virtual_keys_change_log_update'",
      )
    ).rows[0].d as string;
    for (const col of CACHED) assert.match(def, new RegExp(`new\\.${col}\\b`, 'i'), col);
    // The update triggers fire for updates that name one of their columns (none listed: any update): together they
    // cover every held one.
    const lists = (
      await c.query(
        `SELECT ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = t.tgrelid AND a.attnum = ANY(t.tgattr))
           AS cols FROM pg_trigger t
         WHERE t.tgrelid = 'virtual_keys'::regclass AND t.tgname LIKE 'virtual_keys_change_log_%' AND t.tgtype & 16 <> 0`,
      )
    ).rows.map((r) => r.cols as string[]);
    const named = lists.some((l) => l.length === 0) ? CACHED : lists.flat();
    for (const col of CACHED) assert.ok(named.includes(col), `${col}: an update naming it fires no trigger`);
  });
});
