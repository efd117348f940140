import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { SpendRetention } from '../../src/spend/spend-retention.service';

/**
 * `maximum_spend_logs_retention_period` in months (`1mo`), as LiteLLM's duration parser takes it: a LiteLLM config
 * naming it starts, and the rows older than that many calendar months are deleted, the later ones kept.
 */
const MASTER = 'sk-spend-retention-months-01';
const DAY = 86_400_000;

describe('spend log retention given in months', () => {
  let setup: ProxyOnDatabase;

  before(async () => {
    setup = await startProxy({
      database: 'gw_spend_ret_months',
      apiKey: MASTER,
      yaml: `
model_list: []
general_settings:
  master_key: ${MASTER}
  maximum_spend_logs_retention_period: 2mo
`,
    });
  });
  after(() => setup?.close());

  it('starts with a period in months and deletes the rows older than that many calendar months', async () => {
    // From the last day of a 31-day month, two calendar months back is the last day of June: 61 days, not 60.
    const now = Date.parse('2026-08-31T12:00:00Z');
    const cut = Date.parse('2026-06-30T12:00:00Z');
    const rows: [string, number][] = [
      ['old-90d', now - 90 * DAY],
      ['old-cut', cut - 1_000],
      ['kept-cut', cut + 1_000],
      ['kept-60d', now - 60 * DAY],
      ['kept-1d', now - DAY],
    ];
    for (const [id, at] of rows)
      await sql(
        setup.db.url,
        `INSERT INTO spend_logs (id, request_id, call_type, model, start_time, end_time, status, status_code)
         VALUES ($1, $1, 'acompletion', 'm', $2, $2, 'success', 200)`,
        [id, new Date(at).toISOString()],
      );
    const run = await setup.gw.app.get(SpendRetention).run(now);
    assert.equal(run.busy, false);
    assert.equal(run.deletedRows, 2);
    const ids = (await sql<{ id: string }>(setup.db.url, 'SELECT id FROM spend_logs ORDER BY start_time')).map(
      (r) => r.id,
    );
    assert.deepEqual(ids, ['kept-cut', 'kept-60d', 'kept-1d']);
  });
});
