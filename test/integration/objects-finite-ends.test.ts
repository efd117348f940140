import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { applyMigrations, readMigrations } from '../../src/database/migration-runner';
import { startGateway, type InProcessGateway } from '../support/gateway';
import { managementApi } from '../support/management-api';
import { createTestDatabase } from '../support/postgres';

const MASTER = 'sk-master-finite-ends-1';
const MIGRATION = '20261207200000_object_period_ends_finite';

/**
 * Teams, users, end users, budgets and team memberships whose period end or alert time is PostgreSQL's `infinity` or
 * `-infinity` (written by hand or by another tool): the client reads neither as a date, so their info and list routes
 * failed. The migration turns present ones into what they stand for, and the database refuses new ones.
 */
describe('period ends of teams, users, end users, budgets and memberships are finite', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let c: Client;
  let gw: InProcessGateway;
  const api = () => managementApi(() => gw.url, MASTER);
  const executor = () => ({
    query: async <T>(s: string, p?: unknown[]) => (await c.query(s, p)).rows as T[],
    exec: async (s: string) => void (await c.query(s)),
  });

  before(async () => {
    db = await createTestDatabase('gw_objects_finite_ends');
    c = new Client({ connectionString: db.url });
    await c.connect();
    const all = readMigrations();
    const at = all.findIndex((m) => m.name === MIGRATION);
    assert.ok(at > 0, 'the migration exists');
    await applyMigrations(executor(), all.slice(0, at));
    await c.query(`INSERT INTO budgets (budget_id, budget_duration, budget_reset_at, created_by, updated_by)
      VALUES ('b-endless', '30d', 'infinity', 'import', 'import')`);
    await c.query(`INSERT INTO teams (team_id, max_budget, spend, budget_duration, budget_reset_at, soft_budget_alerted_at)
      VALUES ('t-endless', 10, 4, '30d', 'infinity', '-infinity'), ('t-over', 10, 12, '30d', '-infinity', NULL)`);
    await c.query(`INSERT INTO users (user_id, budget_duration, budget_reset_at, soft_budget_alerted_at)
      VALUES ('u-endless', '7d', 'infinity', 'infinity')`);
    await c.query(`INSERT INTO end_users (user_id, budget_duration, budget_reset_at)
      VALUES ('e-over', '1d', '-infinity')`);
    await c.query(`INSERT INTO team_memberships (team_id, user_id, budget_reset_at)
      VALUES ('t-endless', 'u-endless', 'infinity')`);
    await applyMigrations(executor(), all);
    gw = await startGateway(
      `model_list:\n  - model_name: m\n    litellm_params: { model: openai/m, api_base: "http://127.0.0.1:9/v1", api_key: x }\n` +
        `general_settings:\n  master_key: ${MASTER}\n`,
      { DATABASE_URL: db.url },
    );
  });
  after(async () => {
    await gw?.close();
    await c?.end();
    await db?.drop();
  });

  it('turns present ones into what they stand for: endless -> no end, ended -> now', async () => {
    const one = async (q: string) => (await c.query(q)).rows[0];
    const endless = await one(`SELECT budget_reset_at, soft_budget_alerted_at FROM teams WHERE team_id = 't-endless'`);
    assert.equal(endless.budget_reset_at, null);
    assert.equal(endless.soft_budget_alerted_at, null);
    const over = await one(`SELECT budget_reset_at FROM teams WHERE team_id = 't-over'`);
    assert.ok(over.budget_reset_at instanceof Date && Math.abs(over.budget_reset_at.getTime() - Date.now()) < 60_000);
    assert.equal((await one(`SELECT budget_reset_at FROM users WHERE user_id = 'u-endless'`)).budget_reset_at, null);
    const e = await one(`SELECT budget_reset_at FROM end_users WHERE user_id = 'e-over'`);
    assert.ok(e.budget_reset_at instanceof Date);
    assert.equal(
      (await one(`SELECT budget_reset_at FROM budgets WHERE budget_id = 'b-endless'`)).budget_reset_at,
      null,
    );
    const m = await one(`SELECT budget_reset_at FROM team_memberships WHERE team_id = 't-endless'`);
    assert.equal(m.budget_reset_at, null);
  });

  it('answers their info and list routes', async () => {
    for (const path of [
      '/team/info?team_id=t-endless',
      '/team/info?team_id=t-over',
      '/team/list',
      '/user/info?user_id=u-endless',
      '/user/list',
      '/customer/info?end_user_id=e-over',
      '/customer/list',
      '/budget/list',
    ]) {
      const res = await api().api('GET', path);
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    }
  });

  it('refuses a new one, naming the constraint', async () => {
    for (const [table, col, id] of [
      ['teams', 'budget_reset_at', "team_id = 't-endless'"],
      ['teams', 'soft_budget_alerted_at', "team_id = 't-endless'"],
      ['users', 'budget_reset_at', "user_id = 'u-endless'"],
      ['users', 'soft_budget_alerted_at', "user_id = 'u-endless'"],
      ['end_users', 'budget_reset_at', "user_id = 'e-over'"],
      ['end_users', 'soft_budget_alerted_at', "user_id = 'e-over'"],
      ['budgets', 'budget_reset_at', "budget_id = 'b-endless'"],
      ['team_memberships', 'budget_reset_at', "team_id = 't-endless'"],
    ])
      for (const v of ['infinity', '-infinity'])
        await assert.rejects(c.query(`UPDATE ${table} SET ${col} = '${v}' WHERE ${id}`), (err: Error) => {
          assert.match(err.message, new RegExp(`${table}_${col}_finite`));
          return true;
        });
  });
});
