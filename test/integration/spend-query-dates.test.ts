import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertError, managementApi } from '../support/management-api';
import { sql } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

/**
 * The dates of the spend routes' queries as LiteLLM's callers write them: a date-time without an offset (LiteLLM's
 * `YYYY-MM-DD HH:MM:SS`) is UTC whatever the server's time zone, a date not in the calendar or in no ISO form is a
 * 400 naming it (never a neighbouring day), and `summarize` takes the spellings of a boolean LiteLLM's FastAPI takes.
 */
const MASTER = 'sk-spend-dates-master-0001';

describe('spend query dates and flags in the forms LiteLLM callers send', () => {
  let setup: ProxyOnDatabase;
  const zone = process.env.TZ;
  const api = () => managementApi(() => setup.gw.url, MASTER);
  const ids = async (query: string) =>
    ((await api().ok('GET', `/spend/logs?${query}`)) as any[]).map((r) => r.request_id).sort();

  before(async () => {
    // A server east of UTC: a local reading of a date-time moves it by nine hours.
    process.env.TZ = 'Asia/Tokyo';
    setup = await startProxy({
      database: 'gw_spend_dates',
      apiKey: MASTER,
      yaml: `
model_list: []
general_settings:
  master_key: ${MASTER}
`,
    });
    const rows: [string, string][] = [
      ['eve', '2026-03-01T23:59:59.999Z'],
      ['midnight', '2026-03-02T00:00:00.000Z'],
      ['late', '2026-03-02T20:27:41.000Z'],
    ];
    for (const [id, at] of rows)
      await sql(
        setup.db.url,
        `INSERT INTO spend_logs (id, request_id, call_type, model, spend, start_time, end_time, status, status_code)
         VALUES ($1, $1, 'acompletion', 'm', 1, $2, $2, 'success', 200)`,
        [id, at],
      );
  });
  after(async () => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
    await setup?.close();
  });

  it('reads a date-time without an offset as UTC, whatever the server time zone', async () => {
    assert.deepEqual(await ids('start_date=2026-03-02 20:27:41&end_date=2026-03-02 20:27:41'), ['late']);
    assert.deepEqual(await ids('start_date=2026-03-02T20:27:41&end_date=2026-03-02T20:27:41.000'), ['late']);
    assert.deepEqual(await ids('start_date=2026-03-02T20:27&end_date=2026-03-02T21:00'), ['late']);
    assert.deepEqual(await ids('end_date=2026-03-01 23:59:59.999'), ['eve']);
    assert.deepEqual(await ids('start_date=2026-03-02 00:00:00&end_date=2026-03-02T00:00:00Z'), ['midnight']);
    assert.deepEqual(await ids('start_date=2026-03-02T05:27:41-15:00'), ['late'], 'an offset is applied');
    assert.deepEqual(await ids('start_date=2026-03-02&end_date=2026-03-02'), ['late', 'midnight']);
  });

  it('refuses a date not in the calendar or in no ISO form, naming it, on every spend route', async () => {
    for (const bad of [
      '2026-02-30',
      '2026-02-29',
      '2026-04-31',
      '2026-12-7',
      '1',
      'Dec 7 2026',
      '2026/12/07',
      '2026-12-07T24:00:00Z',
      '2026-12-07T23:60',
      '2026-02-30T10:00:00Z',
      '2026-12-07 20:27:41 GMT',
    ]) {
      const q = encodeURIComponent(bad);
      assertError(await api().api('GET', `/spend/logs?start_date=${q}`), 400, { param: 'start_date' });
      assertError(await api().api('GET', `/spend/logs?end_date=${q}`), 400, { param: 'end_date' });
      const report = await api().api('GET', `/global/spend/report?start_date=${q}&end_date=2026-12-31`);
      assertError(report, 400, { param: 'start_date' });
      assertError(await api().api('GET', `/spend/tags?end_date=${q}`), 400, { param: 'end_date' });
    }
    assert.deepEqual(await ids('start_date=2024-02-29&end_date=2026-03-01'), ['eve'], 'a leap day is a date');
    const body = { startTime: '2026-03-02', endTime: '2026-03-01 12:00' };
    const users = await api().api('POST', '/global/spend/end_users', body);
    assertError(users, 400, { param: 'endTime', message: /before/ });
  });

  it("takes summarize as LiteLLM's FastAPI boolean does", async () => {
    const dates = 'start_date=2026-03-01&end_date=2026-03-02';
    for (const yes of ['true', 'True', 'TRUE', '1', 'yes', 'on', 't', 'y']) {
      const days = await api().ok('GET', `/spend/logs?${dates}&summarize=${yes}`);
      assert.deepEqual(
        days.map((d: any) => [d.startTime, d.spend]),
        [
          ['2026-03-01', 1],
          ['2026-03-02', 2],
        ],
        `summarize=${yes}`,
      );
    }
    for (const no of ['false', 'False', '0', 'no', 'off', 'f', 'n'])
      assert.deepEqual(
        ((await api().ok('GET', `/spend/logs?${dates}&summarize=${no}`)) as any[]).map((r) => r.request_id),
        ['late', 'midnight', 'eve'],
        `summarize=${no}`,
      );
    assertError(await api().api('GET', `/spend/logs?${dates}&summarize=maybe`), 400, { param: 'summarize' });
    // An end with an offset: the summary's days run to its UTC day (March 3rd, 01:00 UTC), not its local date.
    const offset = await api().ok(
      'GET',
      `/spend/logs?start_date=2026-03-01&end_date=2026-03-02T05:00:00-20:00&summarize=1`,
    );
    assert.deepEqual(
      offset.map((d: any) => d.startTime),
      ['2026-03-01', '2026-03-02', '2026-03-03'],
    );
  });
});
