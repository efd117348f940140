import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { Caller } from '../../src/auth/caller';
import type { DatabaseService } from '../../src/database/database.service';
import { GlobalSpendService } from '../../src/spend/global-spend.service';
import { SpendLogStore } from '../../src/spend/spend-log-store';
import { openDatabase } from '../support/database';
import { createTestDatabase } from '../support/postgres';
import { partitionIndexes, plainRow, SPEND_LOG_INDEX as INDEX } from '../support/spend-rows';

/**
 * The admin UI's spend reads stay bounded on a large table: each statement they send reads only the daily partitions
 * of its window (never the older ones), and a team caller's reads go through the team index (the keys read may take
 * the key index instead: both are index reads).
 */
const DAY = 86_400_000;
const ADMIN: Caller = { role: 'master', via: 'master_key', scopes: [] };
const TEAM: Caller = { role: 'team', via: 'jwt', teamId: 'team-a', scopes: [] };

describe('global spend reads: pruned to their window, team reads by index', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let database: DatabaseService;
  let client: Client;
  const sent: { sql: string; params: unknown[] }[] = [];
  let service: GlobalSpendService;
  const now = Date.now();
  const oldDay = new Date(now - 45 * DAY).toISOString().slice(0, 10).replaceAll('-', '');

  before(async () => {
    db = await createTestDatabase('gw_spend_plans');
    database = await openDatabase(db.url);
    const rows = Array.from({ length: 60 * 20 }, (_, i) =>
      plainRow(`p-${i}`, now - Math.floor(i / 20) * DAY, 0.1, {
        teamId: i % 10 === 0 ? 'team-a' : null,
        apiKey: i % 10 === 1 ? 'k'.repeat(64) : null,
        requestTags: ['t'],
        endUser: 'e',
      }),
    );
    await new SpendLogStore(database).insert(rows);
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query('VACUUM ANALYZE spend_logs');
    // The service's statements, kept as sent (and answered, so each read runs through).
    const capture = {
      query: (sql: string, params: unknown[] = []) => {
        sent.push({ sql, params });
        return database.query(sql, params);
      },
    } as unknown as DatabaseService;
    service = new GlobalSpendService(capture);
  });
  after(async () => {
    await client?.end();
    await database?.onApplicationShutdown();
    await db?.drop();
  });

  const reads = (caller: Caller) => [
    () => service.total(caller),
    () => service.keys(10, caller),
    () => service.models(10, caller),
    () => service.teams(caller),
    () => service.tags(undefined, undefined, caller),
    () => service.endUsers({}, caller),
    () =>
      service.activity(
        {
          start_date: new Date(now - 5 * DAY).toISOString().slice(0, 10),
          end_date: new Date(now).toISOString().slice(0, 10),
        },
        caller,
      ),
  ];
  const plans = async (caller: Caller) => {
    const out: string[] = [];
    for (const read of reads(caller)) {
      sent.length = 0;
      await read();
      const spendStatements = sent.filter((s) => s.sql.includes('"spend_logs"'));
      assert.equal(spendStatements.length, 1);
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${spendStatements[0].sql}`,
        spendStatements[0].params,
      );
      out.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    return out;
  };

  it('reads no daily partition older than the window', async () => {
    for (const plan of await plans(ADMIN)) {
      assert.match(plan, /spend_logs_\d{8}/, plan);
      assert.doesNotMatch(plan, new RegExp(`spend_logs_${oldDay}`), plan);
      const days = new Set(plan.match(/spend_logs_\d{8}/g));
      assert.ok(days.size <= 32, `${days.size} partitions read`);
    }
  });

  it("reads a team's rows through an index, never by scanning the window's partitions", async () => {
    await client.query('SET enable_seqscan = off');
    try {
      for (const plan of await plans(TEAM)) {
        const names = await partitionIndexes(client, [INDEX.team_id, INDEX.api_key]);
        assert.match(plan, new RegExp(`(Index (Only )?Scan using|Bitmap Index Scan on) ${names}`), plan);
        assert.doesNotMatch(plan, /Seq Scan on spend_logs_\d{8}/, plan);
      }
    } finally {
      await client.query('RESET enable_seqscan');
    }
  });
});
