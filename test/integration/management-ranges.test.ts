import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InProcessGateway } from '../support/gateway';
import { MAX_SKIPPED_ROWS } from '../../src/spend/spend-queries';
import { assertError, managementApi } from '../support/management-api';
import { sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-management-ranges-01';
/** The largest double: its decimal form, as sent to PostgreSQL, rounds above what double precision holds. */
const MAX_DOUBLE = 1.7976931348623157e308;

/**
 * Numbers, periods, dates and texts that JSON and JavaScript accept but the database columns cannot hold: a 400
 * naming the field, never a 500, and nothing half stored.
 */
describe('management bodies and queries: values out of the database range (PostgreSQL)', () => {
  let gw: InProcessGateway;
  let db: TestDatabase;
  let setup: ProxyOnDatabase | undefined;
  const { api, ok } = managementApi(() => gw.url, MASTER);
  const count = async (table: string) =>
    Number((await sql<{ n: string }>(db.url, `SELECT count(*) AS n FROM "${table}"`))[0].n);

  before(async () => {
    setup = await startProxy({
      database: 'gw_management_ranges',
      apiKey: MASTER,
      yaml: `general_settings:\n  master_key: ${MASTER}\n`,
    });
    ({ gw, db } = setup);
    await ok('POST', '/team/new', { team_id: 'team-r' });
    await ok('POST', '/user/new', { user_id: 'user-r', auto_create_key: false });
  });
  after(() => setup?.close());

  it('amounts beyond what double precision stores: 400 naming the field', async () => {
    const cases: [string, object, string][] = [
      ['/key/generate', { max_budget: MAX_DOUBLE }, 'max_budget'],
      ['/key/generate', { soft_budget: 1e300 }, 'soft_budget'],
      [
        '/key/generate',
        { model_max_budget: { gpt: { budget_limit: MAX_DOUBLE } } },
        'model_max_budget.gpt.budget_limit',
      ],
      ['/team/new', { max_budget: MAX_DOUBLE }, 'max_budget'],
      ['/team/update', { team_id: 'team-r', soft_budget: MAX_DOUBLE }, 'soft_budget'],
      ['/user/new', { max_budget: MAX_DOUBLE }, 'max_budget'],
      ['/user/update', { user_id: 'user-r', spend: MAX_DOUBLE }, 'spend'],
      ['/customer/new', { user_id: 'end-r', max_budget: MAX_DOUBLE }, 'max_budget'],
      ['/customer/new', { user_id: 'end-r', spend: MAX_DOUBLE }, 'spend'],
      ['/budget/new', { max_budget: MAX_DOUBLE }, 'max_budget'],
      ['/team/member_update', { team_id: 'team-r', user_id: 'user-r', rpm_limit: 2 ** 31 }, 'rpm_limit'],
    ];
    for (const [path, body, param] of cases) {
      assertError(await api('POST', path, body), 400, { param, message: /at most|too large/ });
    }
    // A large but ordinary budget is kept exactly.
    const k = await ok('POST', '/key/generate', { max_budget: 1e12 });
    assert.equal(k.max_budget, 1e12);
  });

  it('budget periods ending after the year 9999: 400 naming budget_duration', async () => {
    for (const [path, body] of [
      ['/key/generate', {}],
      ['/team/new', {}],
      ['/user/new', {}],
      ['/customer/new', { user_id: 'end-p' }],
      ['/budget/new', {}],
    ] as const) {
      for (const d of ['99999999mo', '999999999y', '99999999w']) {
        const r = await api('POST', path, { ...body, budget_duration: d });
        assertError(r, 400, { param: 'budget_duration', message: /year 9999/ });
      }
    }
    await ok('POST', '/budget/new', { budget_id: 'long', budget_duration: '7000y' });
  });

  it('dates outside the years 1 to 9999: 400 on bodies and spend queries; the last day is an open end', async () => {
    for (const at of ['0000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z']) {
      assertError(await api('POST', '/budget/new', { budget_reset_at: at }), 400, { param: 'budget_reset_at' });
      const c = await api('POST', '/customer/new', { user_id: 'end-d', budget_duration: '1d', budget_reset_at: at });
      assertError(c, 400, { param: 'budget_reset_at' });
    }
    for (const q of [
      'start_date=0000-01-01',
      'start_date=-271821-04-20',
      'start_date=275760-09-13',
      'end_date=0000-12-31T00:00:00Z',
    ]) {
      const param = q.split('=')[0];
      assertError(await api('GET', `/spend/logs?${q}`), 400, { param, message: /years 1 to 9999/ });
      const report = await api('GET', `/global/spend/report?start_date=2024-01-01&end_date=2024-01-02&${q}`);
      assertError(report, 400, { param });
    }
    assert.deepEqual(await ok('GET', '/spend/logs?start_date=0001-01-01&end_date=9999-12-31'), []);
    await ok('GET', '/global/spend/report?start_date=2024-01-01&end_date=9999-12-31');
  });

  it('spend reads stay bounded: a /spend/logs page past MAX_SKIPPED_ROWS is a 400 naming page; any report dates answer', async () => {
    assert.deepEqual(await ok('GET', `/spend/logs?page=${MAX_SKIPPED_ROWS / 1000 + 1}&page_size=1000`), []);
    for (const q of [`page=${MAX_SKIPPED_ROWS / 1000 + 2}&page_size=1000`, 'page=1000000', 'page=102']) {
      assertError(await api('GET', `/spend/logs?${q}`), 400, { param: 'page', message: /end_date/ });
    }
    assert.ok(Array.isArray(await ok('GET', '/global/spend/report?start_date=0001-01-01&end_date=9999-12-31')));
  });

  it('NUL characters in spend and user list filters: 400 naming the filter', async () => {
    for (const q of ['team_id=%00', 'api_key=a%00', 'user_id=x%00', 'request_id=%00', 'model=%00']) {
      assertError(await api('GET', `/spend/logs?${q}`), 400, { param: q.split('=')[0] });
    }
    for (const q of ['customer_id=%00', 'api_key=%00', 'internal_user_id=%00', 'team_id=%00']) {
      const r = await api('GET', `/global/spend/report?start_date=2024-01-01&end_date=2024-01-02&${q}`);
      assertError(r, 400, { param: q.split('=')[0] });
    }
    for (const q of ['user_ids=a%00,b', 'sso_user_ids=%00']) {
      assertError(await api('GET', `/user/list?${q}`), 400, { param: q.split('=')[0] });
    }
  });

  it("/user/new checks its key's duration before storing the user", async () => {
    const users = await count('users');
    for (const duration of ['bogus', '\u0000', '99999999y', '']) {
      assertError(await api('POST', '/user/new', { duration }), 400, { param: 'duration' });
    }
    assert.equal(await count('users'), users, 'no user was stored for a refused body');
    const u = await ok('POST', '/user/new', { duration: '7d' });
    assert.ok(u.key.startsWith('sk-') && u.expires, JSON.stringify(u));
  });

  it('/user/new whose key cannot be made (key_alias taken) leaves no user and no team member behind', async () => {
    await ok('POST', '/key/generate', { key_alias: 'taken-by-a-key' });
    const body = { user_id: 'half-made', key_alias: 'taken-by-a-key', teams: ['team-r'] };
    assertError(await api('POST', '/user/new', body), 400, { code: 'key_alias_taken' });
    assertError(await api('GET', '/user/info?user_id=half-made'), 404);
    const team = await ok('GET', '/team/info?team_id=team-r');
    assert.ok(!JSON.stringify(team).includes('half-made'), 'the team has no such member');
    // Sent again with a free alias, the same user id is created.
    const u = await ok('POST', '/user/new', { ...body, key_alias: 'free-alias' });
    assert.equal(u.user_id, 'half-made');
    assert.deepEqual(u.teams, ['team-r']);
  });
});
