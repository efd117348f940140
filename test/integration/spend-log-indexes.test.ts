import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { DatabaseService } from '../../src/database/database.service';
import { SpendLogStore } from '../../src/spend/spend-log-store';
import { Where } from '../../src/spend/spend-queries';
import { createTestDatabase } from '../support/postgres';
import { plainRow } from '../support/spend-rows';
import { openDatabase } from '../support/database';

/**
 * The key, team and user indexes of the spend log table hold only rows that have a key, a team or a user (most rows
 * lack one of them, and each index entry is CPU the database spends per row), and the filtered reads still use them,
 * with a prepared statement's generic plan too.
 */
const FILTERS = [
  ['api_key', 'spend_logs_api_key_start_time_idx'],
  ['team_id', 'spend_logs_team_id_start_time_idx'],
  ['user', 'spend_logs_user_start_time_idx'],
] as const;
const INDEXED = [...FILTERS, ['request_id', 'spend_logs_request_id_idx']] as const;

describe('spend log indexes: partial, and used by the filtered reads', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let database: DatabaseService;
  let client: Client;

  before(async () => {
    db = await createTestDatabase('gw_spend_idx');
    database = await openDatabase(db.url);
    const at = Date.now();
    const rows = Array.from({ length: 2000 }, (_, i) =>
      plainRow(`idx-${i}`, at + i, 0.1, {
        apiKey: i % 10 === 0 ? 'k'.repeat(64) : null,
        teamId: i % 10 === 1 ? 'team-a' : null,
        user: i % 10 === 2 ? 'user-a' : null,
      }),
    );
    await new SpendLogStore(database).insert(rows);
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query('VACUUM ANALYZE spend_logs');
  });
  after(async () => {
    await client?.end();
    await database?.onApplicationShutdown();
    await db?.drop();
  });

  it('indexes only the rows that have a key, a team or a user', async () => {
    for (const [column, index] of FILTERS) {
      const { rows } = await client.query<{ n: string }>(
        `SELECT sum(c.reltuples)::bigint::text AS n FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`,
        [index],
      );
      assert.equal(rows[0]?.n, '200', `${index}: the 200 rows with a ${column}`);
    }
  });

  it('serves each filter of /spend/logs from its index, in a generic plan', async () => {
    await client.query('SET plan_cache_mode = force_generic_plan');
    await client.query('SET enable_seqscan = off');
    for (const [column, index] of INDEXED) {
      const name = `by_${column}`;
      // The day's partition's own index of this one (PostgreSQL names it after the indexed expression).
      const { rows: parts } = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = $1::regclass AND c.relname ~ '^spend_logs_[0-9]{8}_'`,
        [index],
      );
      assert.equal(parts.length, 1, index);
      // The condition as the gateway's reads write it.
      const where = new Where().eq(column, 'x');
      await client.query(
        `PREPARE ${name}(text) AS SELECT * FROM "spend_logs" ${where.sql} ORDER BY "start_time" DESC, "id" DESC LIMIT 100`,
      );
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ${name}('x')`);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      assert.match(plan, new RegExp(`Index Scan (Backward )?using ${parts[0].name} `), plan);
    }
  });

  it('compares bytes in the request id index', async () => {
    const { rows } = await client.query<{ collation: string }>(
      `SELECT coll.collname AS collation FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_collation coll ON coll.oid = x.indcollation[0] WHERE i.relname = 'spend_logs_request_id_idx'`,
    );
    assert.deepEqual(rows, [{ collation: 'C' }]);
  });

  it('keeps apart the rows of two keys, teams or users whose values share a hash', async () => {
    // hashtext('user-13760') = hashtext('user-385292'): the hashed indexes find both, the reads keep one.
    const [mine, theirs] = ['user-13760', 'user-385292'];
    const { rows: same } = await client.query<{ eq: boolean }>('SELECT hashtext($1) = hashtext($2) AS eq', [
      mine,
      theirs,
    ]);
    assert.equal(same[0]?.eq, true);
    const at = Date.now();
    const rows = [mine, mine, mine, theirs, theirs].map((v, i) =>
      plainRow(`clash-${i}`, at + i, 0.1, { apiKey: v.padEnd(64, '0'), teamId: v, user: v }),
    );
    await new SpendLogStore(database).insert(rows);
    for (const [column, value] of [
      ['api_key', mine.padEnd(64, '0')],
      ['team_id', mine],
      ['user', mine],
    ] as const) {
      const where = new Where().eq(column, value);
      const { rows: found } = await client.query<{ id: string }>(
        `SELECT id FROM "spend_logs" ${where.sql} ORDER BY id`,
        where.params,
      );
      assert.deepEqual(
        found.map((r) => r.id),
        ['clash-0', 'clash-1', 'clash-2'],
        column,
      );
    }
  });
});
