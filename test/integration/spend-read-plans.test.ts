import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import type { Caller } from '../../src/auth/caller';
import { GatewayError } from '../../src/common/errors/gateway-error';
import type { DatabaseService } from '../../src/database/database.service';
import { SpendLogStore } from '../../src/spend/spend-log-store';
import { MAX_SKIPPED_ROWS } from '../../src/spend/spend-queries';
import { SpendReadService } from '../../src/spend/spend-read.service';
import { openDatabase } from '../support/database';
import { createTestDatabase } from '../support/postgres';
import { partitionIndexes, plainRow, SPEND_LOG_INDEX as INDEX } from '../support/spend-rows';

/**
 * `/global/spend/report` and `/spend/logs` stay bounded on a large table: a report, in each of its forms, reads only
 * the daily partitions of the days it was asked for (a team's through an index), never leaving out one of them, and the deepest
 * `/spend/logs` page skips at most MAX_SKIPPED_ROWS rows, walking the filter's index; a deeper page is refused before
 * any statement is sent.
 */
const DAY = 86_400_000;
const ADMIN: Caller = { role: 'master', via: 'master_key', scopes: [] };
const TEAM: Caller = { role: 'team', via: 'jwt', teamId: 'team-a', scopes: [] };
const KEY = 'k'.repeat(64);
const DECADES = { start_date: '2000-01-01', end_date: '2100-01-01' };

describe('spend report and log pages: bounded reads of the partitioned table', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let database: DatabaseService;
  let client: Client;
  const sent: { sql: string; params: unknown[] }[] = [];
  let service: SpendReadService;
  const now = Date.now();
  const oldDay = new Date(now - 45 * DAY).toISOString().slice(0, 10).replaceAll('-', '');

  before(async () => {
    db = await createTestDatabase('gw_spend_read_plans');
    database = await openDatabase(db.url);
    const rows = Array.from({ length: 60 * 20 }, (_, i) =>
      plainRow(`r-${i}`, now - Math.floor(i / 20) * DAY, 0.1, {
        teamId: i % 10 === 0 ? 'team-a' : null,
        apiKey: i % 10 === 1 ? KEY : null,
        user: i % 10 === 1 ? 'user-a' : null,
        endUser: 'e',
      }),
    );
    await new SpendLogStore(database).insert(rows);
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query('VACUUM ANALYZE spend_logs');
    const capture = {
      query: (sql: string, params: unknown[] = []) => {
        sent.push({ sql, params });
        return database.query(sql, params);
      },
    } as unknown as DatabaseService;
    service = new SpendReadService(capture, { models: [] });
  });
  after(async () => {
    await client?.end();
    await database?.onApplicationShutdown();
    await db?.drop();
  });

  /** The plan of the one spend log statement a read sends. */
  const planOf = async (read: () => Promise<unknown>) => {
    sent.length = 0;
    await read();
    const statements = sent.filter((s) => s.sql.includes('"spend_logs"'));
    assert.equal(statements.length, 1);
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statements[0].sql}`, statements[0].params);
    return { plan: rows.map((r) => r['QUERY PLAN']).join('\n'), params: statements[0].params };
  };
  const reports = (caller: Caller, dates: { start_date: string; end_date: string } = DECADES) =>
    [
      ...(['team', 'api_key', 'user', 'model', 'customer'] as const).map((group_by) => ({ ...dates, group_by })),
      { ...dates, group_by: 'team' as const, api_key: KEY },
      { ...dates, group_by: 'team' as const, internal_user_id: 'user-a' },
      { ...dates, group_by: 'team' as const, team_id: 'team-a', customer_id: 'e' },
    ].map((q) => () => service.report(q, caller));

  it('a report, in each form, reads the partitions of its days only, and over decades answers every day asked', async () => {
    const tenDays = {
      start_date: new Date(now - 9 * DAY).toISOString().slice(0, 10),
      end_date: new Date(now).toISOString().slice(0, 10),
    };
    const summary = () =>
      service.logs({ ...tenDays, summarize: 'true', page: 1, page_size: 100 }, ADMIN) as Promise<unknown>;
    for (const read of [...reports(ADMIN, tenDays), summary]) {
      const { plan } = await planOf(read);
      assert.match(plan, /spend_logs_\d{8}/, plan);
      assert.doesNotMatch(plan, new RegExp(`spend_logs_${oldDay}`), plan);
      const days = new Set(plan.match(/spend_logs_\d{8}/g));
      assert.ok(days.size <= 11, `${days.size} partitions read`);
    }
    // Over decades: every day that has rows is answered, and the sums are the rows' (no day left out).
    const days = (await service.report({ ...DECADES, group_by: 'team' }, ADMIN)) as {
      group_by_day: string;
      teams: { total_spend: number }[];
    }[];
    assert.equal(days.length, 60, `${days.length} days answered`);
    const total = days.reduce((sum, d) => sum + d.teams.reduce((s, t) => s + t.total_spend, 0), 0);
    assert.ok(Math.abs(total - 60 * 20 * 0.1) < 1e-6, `report total ${total}`);
    assert.ok(days.at(-1)?.group_by_day.startsWith(new Date(now).toISOString().slice(0, 10)), 'ending today');
  });

  it("reads a team's report through an index (the team's, or the key's or user's it names)", async () => {
    await client.query('SET enable_seqscan = off');
    try {
      for (const read of reports(TEAM)) {
        const { plan } = await planOf(read);
        const names = await partitionIndexes(client, [INDEX.team_id, INDEX.api_key, INDEX.user]);
        assert.match(plan, new RegExp(`(Index (Only )?Scan using|Bitmap Index Scan on) ${names}`), plan);
        assert.doesNotMatch(plan, /Seq Scan on spend_logs_\d{8}/, plan);
      }
    } finally {
      await client.query('RESET enable_seqscan');
    }
  });

  it('the deepest /spend/logs page skips at most MAX_SKIPPED_ROWS rows through the index; a deeper one is a 400', async () => {
    const page_size = 100;
    const deepest = MAX_SKIPPED_ROWS / page_size + 1;
    await client.query('SET enable_seqscan = off');
    try {
      const { plan, params } = await planOf(() => service.logs({ api_key: KEY, page: deepest, page_size }, ADMIN));
      assert.equal(params.at(-1), MAX_SKIPPED_ROWS, 'the OFFSET sent');
      const names = await partitionIndexes(client, [INDEX.api_key]);
      assert.match(plan, new RegExp(`Index Scan (Backward )?using ${names}`), plan);
      // In start_time order as stored (a tie of one millisecond sorted by id at most): no sort of every row skipped.
      assert.doesNotMatch(plan, /(^|-> {2})Sort\b|Seq Scan/m, plan);
    } finally {
      await client.query('RESET enable_seqscan');
    }
    for (const [page, size] of [
      [deepest + 1, page_size],
      [12, 1000],
      [1_000_000, 1000],
    ]) {
      sent.length = 0;
      await assert.rejects(service.logs({ page, page_size: size }, ADMIN), (e: GatewayError) => {
        assert.equal(e.status, 400);
        assert.equal(e.param, 'page');
        assert.match(e.message, /end_date/);
        return true;
      });
      assert.equal(sent.length, 0, 'refused before any statement');
    }
  });
});
