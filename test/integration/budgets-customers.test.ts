import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { InProcessGateway } from '../support/gateway';
import { assertError, managementApi } from '../support/management-api';
import { sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatCompletion } from '../support/upstream';

const MASTER = 'sk-master-budgets-customers-1';
const USAGE = { prompt_tokens: 100, completion_tokens: 50 };
const COST = 100 * 0.0001 + 50 * 0.0002; // 0.02 per chat call
/** End user ids of this run: limit state shared through Redis outlives a test database. */
const run = randomBytes(3).toString('hex');
const C = (name: string) => `${name}-${run}`;

describe('budgets: end users (customers) with budget_id take its limits (PostgreSQL, Redis)', () => {
  let gw: InProcessGateway;
  let db: TestDatabase;
  let setup: ProxyOnDatabase | undefined;
  let key: string;
  const { api, ok } = managementApi(() => gw.url, MASTER);
  const client = () => new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  const ask = (user: string) =>
    client().chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], user });
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
      database: 'gw_budgets_customers',
      apiKey: MASTER,
      env: { REDIS_URL: 'redis://127.0.0.1:6379' },
      respond: () => ({ json: chatCompletion('hello', USAGE) }),
      yaml: (upstream) => `model_list:
  - model_name: gpt-test
    litellm_params: { model: openai/gpt-upstream, api_base: ${upstream} }
    model_info: { input_cost_per_token: 0.0001, output_cost_per_token: 0.0002 }
general_settings:
  master_key: ${MASTER}
`,
    });
    ({ gw, db } = setup);
    key = (await ok('POST', '/key/generate', {})).key;
  });
  after(() => setup?.close());

  it("a customer created with budget_id answers and enforces the budget's limits", async () => {
    const b = await ok('POST', '/budget/new', {
      budget_id: 'cust-tier',
      max_budget: 2 * COST,
      soft_budget: COST,
      budget_duration: '7d',
      rpm_limit: 100,
    });
    const c = await ok('POST', '/customer/new', { user_id: C('cust-a'), budget_id: 'cust-tier' });
    assert.equal(c.budget_id, 'cust-tier');
    assert.equal(c.max_budget, 2 * COST);
    assert.equal(c.soft_budget, COST);
    assert.equal(c.budget_duration, '7d');
    assert.equal(c.budget_reset_at, b.budget_reset_at, "the budget's schedule");
    assert.equal(c.rpm_limit, 100);
    assert.equal(c.litellm_budget_table.max_budget, 2 * COST);
    await ask(C('cust-a'));
    await ask(C('cust-a'));
    const err = await rejected(ask(C('cust-a')));
    assert.ok(err instanceof OpenAI.BadRequestError);
    assert.equal(err.code, 'budget_exceeded');
    assert.match(err.message, new RegExp(`End User=${C('cust-a')} over budget`));
  });

  it('changing the budget reaches every customer that takes it at once', async () => {
    await ok('POST', '/budget/new', { budget_id: 'shared-tier', max_budget: 100 });
    await ok('POST', '/customer/new', { user_id: C('cust-b'), budget_id: 'shared-tier' });
    await ok('POST', '/customer/new', { user_id: C('cust-c') });
    await ok('POST', '/customer/update', { user_id: C('cust-c'), budget_id: 'shared-tier' });
    await ask(C('cust-b'));
    await ask(C('cust-c'));
    await ok('POST', '/budget/update', { budget_id: 'shared-tier', max_budget: 0 });
    for (const user of [C('cust-b'), C('cust-c')]) {
      const err = await rejected(ask(user));
      assert.equal(err.code, 'budget_exceeded', user);
      assert.equal((await ok('GET', `/customer/info?end_user_id=${user}`)).max_budget, 0);
    }
    await ok('POST', '/budget/update', { budget_id: 'shared-tier', max_budget: 100, rpm_limit: 1 });
    await ask(C('cust-b'));
    const limited = await rejected(ask(C('cust-b')));
    assert.ok(limited instanceof OpenAI.RateLimitError, 'rpm_limit of the budget');
    await ask(C('cust-c'));
    const updates = await sql<{ n: string }>(
      db.url,
      "SELECT count(*) AS n FROM audit_log WHERE object_id = 'shared-tier' AND action = 'budget.update'",
    );
    assert.equal(Number(updates[0].n), 2);
  });

  it('budget_id beside a limit field, an unknown budget, and a budget in use are refused; null leaves it', async () => {
    await ok('POST', '/budget/new', { budget_id: 'strict-tier', max_budget: 1, tpm_limit: 500 });
    assertError(
      await api('POST', '/customer/new', { user_id: C('cust-d'), budget_id: 'strict-tier', max_budget: 3 }),
      400,
      { message: /Set either 'max_budget' or 'budget_id', not both/, code: 'budget_id_set' },
    );
    assertError(await api('POST', '/customer/new', { user_id: C('cust-d'), budget_id: 'no-such' }), 400, {
      code: 'budget_not_found',
    });
    assertError(await api('GET', `/customer/info?end_user_id=${C('cust-d')}`), 404);
    await ok('POST', '/customer/new', { user_id: C('cust-d'), budget_id: 'strict-tier' });
    assertError(await api('POST', '/customer/update', { user_id: C('cust-d'), rpm_limit: 3 }), 400, {
      message: /takes its limits from budget strict-tier/,
      param: 'rpm_limit',
    });
    assertError(await api('POST', '/budget/delete', { id: 'strict-tier' }), 400, { code: 'budget_in_use' });
    const left = await ok('POST', '/customer/update', { user_id: C('cust-d'), budget_id: null, rpm_limit: 3 });
    assert.equal(left.budget_id, null);
    assert.equal(left.max_budget, null, "the budget's limits go with it");
    assert.equal(left.tpm_limit, null);
    assert.equal(left.rpm_limit, 3);
    assert.equal((await ok('POST', '/budget/delete', { id: 'strict-tier' })).budget_id, 'strict-tier');
  });
});
