import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { KeyCache } from '../../src/keys/key-cache.service';
import { hashSecret } from '../../src/keys/secrets/key-secret';
import { SpendWriter } from '../../src/keys/spend/spend-writer.service';
import { readJson, startGateway, type InProcessGateway } from '../support/gateway';
import { createTestDatabase, sql } from '../support/postgres';
import { chatCompletion, startUpstream, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-master-model-budget-1234';

/**
 * `model_max_budget` is enforced on the key's spend per model group as the database holds it: written with the
 * key's spend batch, so a second instance refuses the model once the spend is flushed, and so does a restart.
 */
describe('keys: model_max_budget spend is shared between instances and survives a restart', () => {
  let up: FakeUpstream;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: InProcessGateway;
  let b: InProcessGateway;
  let yaml: string;

  const ask = (gw: InProcessGateway, key: string, model: string) =>
    new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 }).chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'hi' }],
    });
  const refused = (err: unknown) => {
    assert.ok(err instanceof OpenAI.BadRequestError, String(err));
    assert.equal(err.code, 'budget_exceeded');
    assert.match(
      err.message,
      /^400 LiteLLM Virtual Key: sk-\.\.\.\S{4}, key_alias: \S+, exceeded budget for model=gpt/,
    );
    return true;
  };

  before(async () => {
    up = await startUpstream(() => ({
      json: chatCompletion('hi', { prompt_tokens: 10, completion_tokens: 5 }),
    }));
    db = await createTestDatabase('gw_model_budget');
    // A long write interval: only the explicit flush below writes spend.
    yaml = `model_list:
  - model_name: gpt
    litellm_params: { model: openai/gpt-up, api_base: ${up.url} }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
  - model_name: other
    litellm_params: { model: openai/other-up, api_base: ${up.url} }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
general_settings:
  master_key: ${MASTER}
  proxy_batch_write_at: 600
`;
    a = await startGateway(yaml, { DATABASE_URL: db.url });
    b = await startGateway(yaml, { DATABASE_URL: db.url });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await up?.close();
    await db?.drop();
  });

  it('spend on instance A refuses the model on instance B after the flush, and after a restart', async () => {
    const res = await fetch(`${a.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model_max_budget: { gpt: 0.00001 } }),
    });
    const key = ((await readJson(res)) as { key: string }).key;
    // B holds the key (cached) before A spends: it learns A's spend only from the flush.
    await ask(b, key, 'other');
    await ask(a, key, 'gpt'); // 10 * 1e-6 + 5 * 2e-6 = 2e-5, over the 1e-5 budget on gpt
    await assert.rejects(ask(a, key, 'gpt'), refused);
    await a.app.get(SpendWriter).flush();
    // B learns the total from A's flush (broadcast); it makes no gpt call of its own before refusing.
    const held = () => b.app.get(KeyCache).get(hashSecret(key))?.modelSpend?.get('gpt') ?? 0;
    const deadline = Date.now() + 10_000;
    while (held() < 2e-5 - 1e-12) {
      assert.ok(Date.now() < deadline, 'instance B never learnt the spend on gpt after the flush');
      await new Promise((r) => setTimeout(r, 50));
    }
    await assert.rejects(ask(b, key, 'gpt'), refused);
    await ask(b, key, 'other'); // other models still answer

    const [row] = await sql<{ model_spend: Record<string, number> }>(
      db.url,
      'SELECT model_spend FROM virtual_keys WHERE token = $1',
      [hashSecret(key)],
    );
    assert.ok(Math.abs(row.model_spend.gpt - 2e-5) < 1e-12, JSON.stringify(row.model_spend));
    assert.equal(row.model_spend.other, undefined, 'only model groups with a budget are counted');

    await a.close();
    a = await startGateway(yaml, { DATABASE_URL: db.url });
    await assert.rejects(ask(a, key, 'gpt'), refused);
    await ask(a, key, 'other');
  });
});
