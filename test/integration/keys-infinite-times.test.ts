import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SpendWriter } from '../../src/keys/spend/spend-writer.service';
import { hashSecret } from '../../src/keys/secrets/key-secret';
import { startGateway, type InProcessGateway } from '../support/gateway';
import { seedKeys } from '../support/key-calls';
import { assertError, managementApi } from '../support/management-api';
import { sql, type TestDatabase } from '../support/postgres';
import { oneModelYaml, openaiClient, startOnDatabase, type DatabaseSetup } from '../support/proxy-setup';

const MASTER = 'sk-master-infinite-times-1';

/**
 * PostgreSQL's `infinity` and `-infinity` timestamps, written by hand (or by another tool) into the columns the key
 * cache reads: `expires` infinity never comes, -infinity is past; a budget period ending at infinity never ends, one
 * ending at -infinity is over.
 */
const KEYS = {
  never: { expires: 'infinity' },
  past: { expires: '-infinity' },
  endless: { budget_reset_at: 'infinity', budget_duration: '30d', max_budget: 1, spend: 0.5 },
  over: { budget_reset_at: '-infinity', budget_duration: '30d', max_budget: 1, spend: 5 },
} as const;
type Name = keyof typeof KEYS;

/** The key's secret: `early` keys exist at start (the bulk load reads them), the others are made after it. */
const secret = (name: Name, early: boolean) => `sk-infinite-${name}-${early ? 'early' : 'late'}`;

async function insertKey(db: TestDatabase, name: Name, early: boolean): Promise<void> {
  const cols: Record<string, unknown> = KEYS[name];
  const names = Object.keys(cols);
  await sql(
    db.url,
    `INSERT INTO virtual_keys (token, key_name, created_by, updated_at, ${names.join(', ')})
     VALUES ($1, 'sk-...inf', 'import', now(), ${names.map((_, i) => `$${i + 2}`).join(', ')})`,
    [hashSecret(secret(name, early)), ...names.map((n) => cols[n])],
  );
}

describe('keys whose expiry or budget period end is PostgreSQL infinity or -infinity', () => {
  let s: DatabaseSetup<{ gw: InProcessGateway; close(): Promise<void> }>;
  const api = () => managementApi(() => s.gw.url, MASTER);
  const chat = (key: string) =>
    openaiClient(s.gw.url, key).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });

  before(async () => {
    s = await startOnDatabase({
      dbPrefix: 'gw_keys_infinite_times',
      start: async (upstream, db) => {
        await seedKeys(db.url, 0); // the schema
        for (const name of Object.keys(KEYS) as Name[]) await insertKey(db, name, true);
        const gw = await startGateway(oneModelYaml(MASTER, upstream, { input_cost_per_token: 0.001 }), {
          DATABASE_URL: db.url,
        });
        return { gw, close: () => gw.close() };
      },
    });
    for (const name of Object.keys(KEYS) as Name[]) await insertKey(s.db, name, false);
  });
  after(() => s?.close());

  for (const early of [true, false]) {
    const when = early ? 'held from the bulk load' : 'read on its first use';

    it(`expires infinity never expires, -infinity has expired (a 401 in OpenAI's shape): ${when}`, async () => {
      const answer = await chat(secret('never', early));
      assert.equal(answer.choices.length, 1);
      const refused = await fetch(`${s.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret('past', early)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      });
      assertError({ status: refused.status, body: await refused.json(), headers: refused.headers }, 401, {
        code: 'key_expired',
      });
    });

    it(`/key/info answers them: no expiry for infinity, one in the past for -infinity: ${when}`, async () => {
      const never = await api().ok('GET', `/key/info?key=${hashSecret(secret('never', early))}`);
      assert.equal(never.info.expires, null);
      const past = await api().ok('GET', `/key/info?key=${hashSecret(secret('past', early))}`);
      assert.ok(Date.parse(past.info.expires) < Date.now(), past.info.expires);
    });

    it(`a period ending at infinity never ends; one ending at -infinity is over and starts anew: ${when}`, async () => {
      await chat(secret('endless', early));
      await chat(secret('over', early)); // over its max_budget of 1 unless the period has ended
      await s.gw.app.get(SpendWriter).flush();
      const endless = await api().ok('GET', `/key/info?key=${hashSecret(secret('endless', early))}`);
      assert.equal(endless.info.budget_reset_at, null);
      assert.ok(endless.info.spend > 0.5, String(endless.info.spend));
      const over = await api().ok('GET', `/key/info?key=${hashSecret(secret('over', early))}`);
      const next = Date.parse(over.info.budget_reset_at);
      assert.ok(next > Date.now() + 29 * 86_400_000 && next < Date.now() + 31 * 86_400_000, over.info.budget_reset_at);
      assert.ok(over.info.spend > 0 && over.info.spend < 1, String(over.info.spend));
    });
  }

  it('/key/list answers every such key', async () => {
    const list = await api().ok('GET', '/key/list?return_full_object=true&size=100');
    assert.equal(list.keys.length, 8);
  });
});
