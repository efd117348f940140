import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { spendStatement } from '../../src/keys/budget/spend-statement';
import { seedKeys } from '../support/key-calls';
import { createTestDatabase, type TestDatabase } from '../support/postgres';

const N = 2_000;
const TABLES = ['virtual_keys', 'teams', 'end_users'] as const;

/**
 * The spend write updates the row of every key, team and end user used in the last second. Pages filled to the brim
 * would move each updated row to another page and add an entry to each of the table's indexes; the tables keep room
 * on their pages, so the update stays where the row is (PostgreSQL's heap-only tuple) and no index grows.
 */
describe('spend write: rows updated in place', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase('gw_spend_in_place');
    await seedKeys(db.url, N);
  });
  after(() => db?.drop());

  it('updates keys, teams and end users without a new index entry for any of them', async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      // Rows in their order on the pages; a second's write touches a few of each page's rows (every 8th here),
      // as calls spread over many keys do.
      const every8th = async (table: string, id: string) =>
        (await c.query<{ id: string }>(`SELECT ${id} AS id FROM ${table} ORDER BY ctid`)).rows
          .filter((_, i) => i % 8 === 0)
          .map((r): [string, number] => [r.id, 0.001]);
      const all = new Map(Array.from({ length: N }, (_, i) => [`id-${i}`, 0.001]));
      // The first write creates the teams and end users.
      await c.query(spendStatement('batch-1', new Map(), all, new Map(), all));
      const keys = new Map(await every8th('virtual_keys', 'token'));
      const teams = new Map(await every8th('teams', 'team_id'));
      const endUsers = new Map(await every8th('end_users', 'user_id'));
      const touched = [keys.size, teams.size, endUsers.size];
      // Counts of this backend's changes not yet reported: read before and after the second write, in one transaction.
      const counts = async (table: string) => {
        const [r] = (
          await c.query<{ updated: string; hot: string }>(
            `SELECT pg_stat_get_xact_tuples_updated($1::regclass) AS updated,
                    pg_stat_get_xact_tuples_hot_updated($1::regclass) AS hot`,
            [table],
          )
        ).rows;
        return { updated: Number(r.updated), hot: Number(r.hot) };
      };
      await c.query('BEGIN');
      const before: { updated: number; hot: number }[] = [];
      for (const t of TABLES) before.push(await counts(t));
      await c.query(spendStatement('batch-2', keys, teams, new Map(), endUsers));
      const afterWrite: { updated: number; hot: number }[] = [];
      for (const t of TABLES) afterWrite.push(await counts(t));
      TABLES.forEach((table, i) => {
        assert.equal(afterWrite[i].updated - before[i].updated, touched[i], `${table}: every row written updated`);
        assert.equal(afterWrite[i].hot - before[i].hot, touched[i], `${table}: every update in place`);
      });
      await c.query('COMMIT');
      const [spent] = (await c.query<{ n: string }>('SELECT count(*) AS n FROM virtual_keys WHERE spend = 0.001')).rows;
      assert.equal(Number(spent.n), keys.size, 'the write counted');
    } finally {
      await c.end();
    }
  });

  it("finds each key it writes by the token's hash index", async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query('ANALYZE virtual_keys');
      // A table this small is read whole; a large one (the case that matters) by an index: which one is checked.
      await c.query('SET enable_seqscan = off');
      const tokens = (await c.query<{ token: string }>('SELECT token FROM virtual_keys ORDER BY random() LIMIT 300'))
        .rows;
      const stmt = spendStatement(
        'batch-plan',
        new Map(tokens.map((r) => [r.token, 0.001])),
        new Map(),
        new Map(),
        new Map(),
      );
      const [{ 'QUERY PLAN': plan }] = (await c.query(`EXPLAIN (FORMAT JSON) ${stmt.text}`, stmt.values)).rows;
      const indexes: string[] = [];
      const walk = (node: Record<string, unknown>): void => {
        if (node['Relation Name'] === 'virtual_keys' && node['Node Type'] !== 'ModifyTable')
          indexes.push(String(node['Index Name'] ?? node['Node Type']));
        for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
      };
      walk((plan as { Plan: Record<string, unknown> }[])[0].Plan);
      assert.deepEqual(indexes, ['virtual_keys_token_hash_idx'], JSON.stringify(plan));
    } finally {
      await c.end();
    }
  });
});
