import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InProcessGateway } from '../support/gateway';
import { assertError, managementApi } from '../support/management-api';
import { auditActions, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-budgets-routes-0001';

describe("budgets: LiteLLM's /budget/* routes and fields (PostgreSQL)", () => {
  let gw: InProcessGateway;
  let db: TestDatabase;
  let setup: ProxyOnDatabase | undefined;
  const { api, ok } = managementApi(() => gw.url, MASTER);
  const actions = (objectId: string) => auditActions(db.url, objectId);

  before(async () => {
    setup = await startProxy({
      database: 'gw_budgets_routes',
      apiKey: MASTER,
      yaml: `general_settings:\n  master_key: ${MASTER}\n`,
    });
    ({ gw, db } = setup);
  });
  after(() => setup?.close());

  it('/budget/new stores every field and answers the LiteLLM_BudgetTable row; a taken id is 400', async () => {
    const before = Date.now();
    const b = await ok('POST', '/budget/new', {
      budget_id: 'tier-1',
      max_budget: 10,
      soft_budget: 8,
      max_parallel_requests: 2,
      tpm_limit: 1000,
      rpm_limit: 10,
      budget_duration: '30d',
      model_max_budget: { 'gpt-a': { max_budget: 1, budget_duration: '1d' } },
    });
    assert.deepEqual(Object.keys(b).sort(), [
      'budget_duration',
      'budget_id',
      'budget_reset_at',
      'created_at',
      'created_by',
      'max_budget',
      'max_parallel_requests',
      'model_max_budget',
      'rpm_limit',
      'soft_budget',
      'tpm_limit',
      'updated_at',
      'updated_by',
    ]);
    assert.equal(b.budget_id, 'tier-1');
    assert.equal(b.max_budget, 10);
    assert.equal(b.soft_budget, 8);
    assert.equal(b.max_parallel_requests, 2);
    assert.equal(b.tpm_limit, 1000);
    assert.equal(b.rpm_limit, 10);
    assert.deepEqual(b.model_max_budget, { 'gpt-a': { max_budget: 1, budget_duration: '1d' } });
    const reset = Date.parse(b.budget_reset_at);
    assert.ok(reset >= before + 30 * 86_400_000 - 1000 && reset <= Date.now() + 30 * 86_400_000 + 1000);
    assert.equal(b.created_by, 'master_key');
    const generated = await ok('POST', '/budget/new', { max_budget: 1 });
    assert.match(generated.budget_id, /^[0-9a-f-]{36}$/);
    assert.equal(generated.budget_reset_at, null);
    assertError(await api('POST', '/budget/new', { budget_id: 'tier-1' }), 400, {
      message: /Budget with id 'tier-1' already exists/,
    });
    assertError(await api('POST', '/budget/new', { max_budget: -1 }), 400, { param: 'max_budget' });
    assertError(await api('POST', '/budget/new', { budget_duration: 'soon' }), 400, { param: 'budget_duration' });
    assertError(await api('POST', '/budget/new', { max_budgets: 1 }), 400, { code: 'unknown_field' });
    assert.deepEqual(await actions('tier-1'), ['budget.new']);
  });

  it('/budget/update changes only the fields given (null clears); unknown id is 404; audited', async () => {
    await ok('POST', '/budget/new', { budget_id: 'tier-2', max_budget: 5, rpm_limit: 3 });
    const u = await ok('POST', '/budget/update', { budget_id: 'tier-2', max_budget: 7, rpm_limit: null });
    assert.equal(u.max_budget, 7);
    assert.equal(u.rpm_limit, null);
    assert.equal(u.budget_reset_at, null);
    const d = await ok('POST', '/budget/update', { budget_id: 'tier-2', budget_duration: '1d' });
    assert.equal(d.max_budget, 7, 'untouched');
    assert.ok(Date.parse(d.budget_reset_at) > Date.now() + 86_000_000, 'a new duration starts a period');
    assertError(await api('POST', '/budget/update', { budget_id: 'nope', max_budget: 1 }), 404, {
      code: 'budget_not_found',
    });
    assertError(await api('POST', '/budget/update', { max_budget: 1 }), 400, { param: 'budget_id' });
    assert.deepEqual(await actions('tier-2'), ['budget.new', 'budget.update', 'budget.update']);
  });

  it('/budget/info answers the budgets asked for; /budget/list all; /budget/settings the configurable fields', async () => {
    await ok('POST', '/budget/new', { budget_id: 'tier-3', max_budget: 3, tpm_limit: 30 });
    const info = await ok('POST', '/budget/info', { budgets: ['tier-3', 'missing'] });
    assert.equal(info.length, 1);
    assert.equal(info[0].budget_id, 'tier-3');
    assertError(await api('POST', '/budget/info', { budgets: [] }), 400, { message: /Specify list of budget id's/ });
    const list = await ok('GET', '/budget/list');
    assert.ok(list.some((b: { budget_id: string }) => b.budget_id === 'tier-3'));
    const settings = await ok('GET', '/budget/settings?budget_id=tier-3');
    assert.deepEqual(
      settings.map((s: { field_name: string }) => s.field_name),
      [
        'max_budget',
        'soft_budget',
        'max_parallel_requests',
        'tpm_limit',
        'rpm_limit',
        'budget_duration',
        'model_max_budget',
      ],
    );
    const max = settings.find((s: { field_name: string }) => s.field_name === 'max_budget');
    assert.equal(max.field_type, 'Float');
    assert.equal(max.field_value, 3);
    assert.equal(max.stored_in_db, true);
    assert.equal(settings.find((s: { field_name: string }) => s.field_name === 'rpm_limit').field_value, null);
  });

  it('/budget/delete removes an unused budget (answering it); unknown is 404; one in use is 400', async () => {
    await ok('POST', '/budget/new', { budget_id: 'tier-4', max_budget: 4 });
    const gone = await ok('POST', '/budget/delete', { id: 'tier-4' });
    assert.equal(gone.budget_id, 'tier-4');
    assert.deepEqual(await ok('POST', '/budget/info', { budgets: ['tier-4'] }), []);
    assertError(await api('POST', '/budget/delete', { id: 'tier-4' }), 404, { code: 'budget_not_found' });
    assert.deepEqual(await actions('tier-4'), ['budget.new', 'budget.delete']);
  });
});
