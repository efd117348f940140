import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { InProcessGateway } from '../support/gateway';
import { assertError, managementApi } from '../support/management-api';
import { sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatCompletion } from '../support/upstream';

const MASTER = 'sk-master-budgets-keys-1';
const USAGE = { prompt_tokens: 100, completion_tokens: 50 };
const COST = 100 * 0.0001 + 50 * 0.0002; // 0.02 per chat call
/** Budget ids of this run: limit state shared through Redis outlives a test database. */
const run = randomBytes(3).toString('hex');
const B = (name: string) => `${name}-${run}`;

describe('budgets: keys with budget_id take its limits where they set none (PostgreSQL, Redis)', () => {
  let gw: InProcessGateway;
  let db: TestDatabase;
  let setup: ProxyOnDatabase | undefined;
  const { api, ok } = managementApi(() => gw.url, MASTER);
  const ask = (key: string, model = 'gpt-test') =>
    new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 }).chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'hi' }],
    });
  async function rejected(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof OpenAI.APIError, String(err));
      return err;
    }
    assert.fail('expected an API error');
  }

  before(async () => {
    setup = await startProxy({
      database: 'gw_budgets_keys',
      apiKey: MASTER,
      env: { REDIS_URL: 'redis://127.0.0.1:6379' },
      respond: () => ({ json: chatCompletion('hello', USAGE) }),
      yaml: (upstream) => `model_list:
  - model_name: gpt-test
    litellm_params: { model: openai/gpt-upstream, api_base: ${upstream} }
    model_info: { input_cost_per_token: 0.0001, output_cost_per_token: 0.0002 }
  - model_name: gpt-other
    litellm_params: { model: openai/gpt-upstream, api_base: ${upstream} }
    model_info: { input_cost_per_token: 0.0001, output_cost_per_token: 0.0002 }
general_settings:
  master_key: ${MASTER}
`,
    });
    ({ gw, db } = setup);
  });
  after(() => setup?.close());

  it("a key generated with budget_id is held to the budget's max_budget and period; its own limits win", async () => {
    const b = await ok('POST', '/budget/new', {
      budget_id: B('key-tier'),
      max_budget: 2 * COST,
      soft_budget: COST,
      budget_duration: '7d',
    });
    const k = await ok('POST', '/key/generate', { budget_id: B('key-tier') });
    assert.equal(k.budget_id, B('key-tier'));
    assert.equal(k.max_budget, null, "the key's own max_budget, as LiteLLM answers it");
    await ask(k.key);
    await ask(k.key);
    const err = await rejected(ask(k.key));
    assert.equal(err.code, 'budget_exceeded');
    const info = (await ok('GET', `/key/info?key=${k.key}`)).info;
    assert.equal(info.budget_id, B('key-tier'));
    assert.equal(info.budget_duration, null);
    assert.equal(info.budget_reset_at, b.budget_reset_at, "the key's period follows the budget's schedule");
    const [row] = await sql<{ max_budget: number; soft_budget: number; budget_limits: string[] }>(
      db.url,
      'SELECT max_budget, soft_budget, budget_limits FROM virtual_keys WHERE token = $1',
      [k.token],
    );
    assert.equal(row.max_budget, 2 * COST);
    assert.equal(row.soft_budget, COST);

    // The key's own max_budget wins over the budget's; null takes the budget's again.
    const own = await ok('POST', '/key/update', { key: k.key, max_budget: 1 });
    assert.equal(own.max_budget, 1);
    assert.equal(own.budget_id, B('key-tier'));
    await ask(k.key);
    await ok('POST', '/key/update', { key: k.key, max_budget: null });
    assert.equal((await rejected(ask(k.key))).code, 'budget_exceeded');
    const richer = await ok('POST', '/key/generate', { budget_id: B('key-tier'), max_budget: 10 });
    await ask(richer.key);
    await ask(richer.key);
    await ask(richer.key);
  });

  it('/budget/update reaches the keys that take it at once; budget_id null leaves it and its limits', async () => {
    await ok('POST', '/budget/new', { budget_id: B('shared'), max_budget: 100 });
    const k1 = await ok('POST', '/key/generate', { budget_id: B('shared') });
    const k2 = await ok('POST', '/key/generate', {});
    await ok('POST', '/key/update', { key: k2.key, budget_id: B('shared'), tpm_limit: 100_000 });
    await ask(k1.key);
    await ask(k2.key);
    await ok('POST', '/budget/update', { budget_id: B('shared'), max_budget: 0 });
    for (const k of [k1, k2]) assert.equal((await rejected(ask(k.key))).code, 'budget_exceeded');
    await ok('POST', '/budget/update', { budget_id: B('shared'), max_budget: 100, rpm_limit: 1, tpm_limit: 1 });
    await ask(k2.key);
    const limited = await rejected(ask(k2.key));
    assert.ok(limited instanceof OpenAI.RateLimitError, "the budget's rpm_limit; the key's own tpm_limit stands");
    assert.match(limited.message, /rpm/i);
    const left = await ok('POST', '/key/update', { key: k2.key, budget_id: null });
    assert.equal(left.budget_id, null);
    assert.equal(left.tpm_limit, 100_000);
    await ask(k2.key);
    const [row] = await sql<{ max_budget: number | null; rpm_limit: number | null; budget_limits: string[] }>(
      db.url,
      'SELECT max_budget, rpm_limit, budget_limits FROM virtual_keys WHERE token = $1',
      [k2.token],
    );
    assert.deepEqual(row, { max_budget: null, rpm_limit: null, budget_limits: [] }, "the budget's limits go with it");
  });

  it("the budget's model_max_budget holds a key without its own, per model; the key's own wins", async () => {
    // LiteLLM's BudgetConfig spelling ({max_budget}), as /budget/new documents it.
    await ok('POST', '/budget/new', {
      budget_id: B('per-model'),
      model_max_budget: { 'gpt-test': { max_budget: COST } },
    });
    const k = await ok('POST', '/key/generate', { budget_id: B('per-model') });
    assert.deepEqual(k.model_max_budget, {}, "the key's own, as LiteLLM answers it");
    await ask(k.key);
    const err = await rejected(ask(k.key));
    assert.equal(err.code, 'budget_exceeded');
    assert.match(err.message, /gpt-test/);
    await ask(k.key, 'gpt-other');

    // Its own (non-empty) model_max_budget wins; {} is none, and takes the budget's again.
    const own = await ok('POST', '/key/update', { key: k.key, model_max_budget: { 'gpt-other': 1 } });
    assert.deepEqual(own.model_max_budget, { 'gpt-other': 1 });
    await ask(k.key);
    await ok('POST', '/key/update', { key: k.key, model_max_budget: {} });
    assert.equal((await rejected(ask(k.key))).code, 'budget_exceeded');

    // A change of the budget reaches the key; leaving the budget takes its model_max_budget away.
    await ok('POST', '/budget/update', {
      budget_id: B('per-model'),
      model_max_budget: { 'gpt-test': { max_budget: 1 } },
    });
    await ask(k.key);
    await ok('POST', '/budget/update', { budget_id: B('per-model'), model_max_budget: { 'gpt-test': 0 } });
    assert.equal((await rejected(ask(k.key))).code, 'budget_exceeded');
    await ok('POST', '/key/update', { key: k.key, budget_id: null });
    await ask(k.key);
    const [row] = await sql<{ extra: Record<string, unknown>; budget_limits: string[] }>(
      db.url,
      'SELECT extra, budget_limits FROM virtual_keys WHERE token = $1',
      [k.token],
    );
    assert.equal(row.extra.model_max_budget, undefined);
    assert.deepEqual(row.budget_limits, []);
  });

  it('key answers join the budget as litellm_budget_table (null without one), as LiteLLM answers a key', async () => {
    const budget = await ok('POST', '/budget/new', { budget_id: B('joined'), max_budget: 7, rpm_limit: 70 });
    await ok('POST', '/team/new', { team_id: B('team-j') });
    await ok('POST', '/user/new', { user_id: B('user-j') });
    const k = await ok('POST', '/key/generate', {
      budget_id: B('joined'),
      team_id: B('team-j'),
      user_id: B('user-j'),
    });
    const plain = await ok('POST', '/key/generate', { team_id: B('team-j'), user_id: B('user-j') });
    assert.deepEqual(k.litellm_budget_table, budget, '/key/generate');
    assert.equal(plain.litellm_budget_table, null);
    assert.deepEqual((await ok('GET', `/key/info?key=${k.key}`)).info.litellm_budget_table, budget, '/key/info');
    const listed = await ok('GET', `/key/list?team_id=${B('team-j')}&return_full_object=true`);
    const byToken = (keys: { token: string; litellm_budget_table: unknown }[], token: string) =>
      keys.find((x) => x.token === token)?.litellm_budget_table;
    assert.deepEqual(byToken(listed.keys, k.token), budget, '/key/list');
    assert.equal(byToken(listed.keys, plain.token), null);
    const team = await ok('GET', `/team/info?team_id=${B('team-j')}`);
    assert.deepEqual(byToken(team.keys, k.token), budget, '/team/info keys');
    const user = await ok('GET', `/user/info?user_id=${B('user-j')}`);
    assert.deepEqual(byToken(user.keys, k.token), budget, '/user/info keys');
    const updated = await ok('POST', '/budget/update', { budget_id: B('joined'), max_budget: 8 });
    const moved = await ok('POST', '/key/update', { key: k.key, rpm_limit: 5 });
    assert.deepEqual(moved.litellm_budget_table, updated, '/key/update');
  });

  it('an unknown budget_id is refused; a budget a key takes cannot be deleted', async () => {
    assertError(await api('POST', '/key/generate', { budget_id: B('no-such') }), 400, {
      code: 'budget_not_found',
      param: 'budget_id',
    });
    await ok('POST', '/budget/new', { budget_id: B('held'), max_budget: 1 });
    const k = await ok('POST', '/key/generate', {});
    assertError(await api('POST', '/key/update', { key: k.key, budget_id: B('no-such') }), 400, {
      code: 'budget_not_found',
    });
    await ok('POST', '/key/update', { key: k.key, budget_id: B('held') });
    assertError(await api('POST', '/budget/delete', { id: B('held') }), 400, {
      code: 'budget_in_use',
      message: /1 keys/,
    });
    await ok('POST', '/key/delete', { keys: [k.key] });
    assert.equal((await ok('POST', '/budget/delete', { id: B('held') })).budget_id, B('held'));
  });
});
