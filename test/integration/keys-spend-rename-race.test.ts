import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { SpendWriter } from '../../src/keys/spend/spend-writer.service';
import { readJson, type InProcessGateway } from '../support/gateway';
import { generateKey } from '../support/management-api';
import { sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-spend-race-01';

describe('keys: a spend write racing a regenerate, for a key without a budget', () => {
  let gw: InProcessGateway;
  let db: TestDatabase;
  let setup: ProxyOnDatabase | undefined;
  before(async () => {
    setup = await startProxy({
      database: 'gw_spend_race',
      apiKey: MASTER,
      yaml: `general_settings:\n  master_key: ${MASTER}\n  proxy_batch_write_at: 3600\n`,
    });
    ({ gw, db } = setup);
  });
  after(() => setup?.close());

  it('spend applied to the old token before the rename is not added again to the new token', async () => {
    const k = await generateKey(gw.url, MASTER, {});
    const spend = gw.app.get(SpendWriter);
    await spend.flush();
    await sql(db.url, `INSERT INTO teams (team_id, spend) VALUES ('tlock', 0)`);
    const conn = new Client({ connectionString: db.url });
    await conn.connect();
    try {
      await conn.query('BEGIN');
      // The write updates the key row (and holds it), then waits here for the team row.
      await conn.query(`SELECT 1 FROM teams WHERE team_id = 'tlock' FOR UPDATE`);
      spend.add(k.token, null, 0.75);
      spend.add(null, 'tlock', 0.1);
      const writing = spend.flush();
      await new Promise((r) => setTimeout(r, 300));
      // expectRename runs now; the rename's UPDATE waits for the key row the write holds.
      const regen = fetch(`${gw.url}/key/regenerate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ key: k.token }),
      });
      await new Promise((r) => setTimeout(r, 300));
      await conn.query('COMMIT');
      await writing; // 0.75 is in the old row (renamed below with it), yet not answered (no budget): re-added
      const renewed = await readJson(await regen);
      await spend.flush();
      await spend.flush();
      const [row] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [
        renewed.token,
      ]);
      assert.equal(row.spend, 0.75);
    } finally {
      await conn.end();
    }
  });
});
