import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readJson, type InProcessGateway } from '../support/gateway';
import { waitFor } from '../support/faults';
import { sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatCompletion, type FakeUpstream } from '../support/upstream';
import { SpendRetention } from '../../src/spend/spend-retention.service';
import { SpendLogStore } from '../../src/spend/spend-log-store';
import { plainRow } from '../support/spend-rows';

/**
 * LiteLLM's Prometheus families on /metrics: on the public endpoint without any label naming a caller, behind
 * `require_auth_for_metrics_endpoint` with them (keys, teams, users, end users, budgets). Also
 * `disable_spend_logs` and the retention of old rows.
 */
const MASTER = 'sk-spend-metrics-master-01';
const IN = 0.001;
const OUT = 0.002;
const COST = 11 * IN + 7 * OUT;

function yaml(upUrl: string, extra: string): string {
  return `
model_list:
  - model_name: gm
    litellm_params: { model: openai/gm-up, api_base: ${upUrl}, api_key: sk-upstream-metrics }
    model_info: { id: gm-1, input_cost_per_token: ${IN}, output_cost_per_token: ${OUT} }
general_settings:
  master_key: ${MASTER}
  proxy_batch_write_at: 0.1
${extra}`;
}

async function newKey(gw: InProcessGateway, body: object): Promise<{ key: string; token: string }> {
  const res = await fetch(`${gw.url}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  return readJson(res);
}

async function chat(gw: InProcessGateway, key: string, model = 'gm', user?: string): Promise<number> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...(user ? { user } : {}) }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sum of the samples of `name` whose labels contain every `pairs` entry. */
function sum(text: string, name: string, pairs: string[] = []): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => pairs.every((p) => l.includes(p)))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('LiteLLM metrics on a public /metrics, with spend logs off', () => {
  let db: TestDatabase;
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let setup: ProxyOnDatabase | undefined;

  before(async () => {
    setup = await startProxy({
      database: 'gw_spend_metrics_pub',
      apiKey: MASTER,
      yaml: (upstream) => yaml(upstream, '  disable_spend_logs: true\n'),
    });
    ({ db, up, gw } = setup);
    up.respondWith({ json: chatCompletion('ok') });
  });
  after(() => setup?.close());

  it('counts calls, spend and tokens by model, names no caller, and writes no rows', async () => {
    const k = await newKey(gw, { team_id: 'team-pub', user_id: 'user-pub', max_budget: 10 });
    assert.equal(await chat(gw, k.key, 'gm', 'customer-pub'), 200);
    assert.equal(await chat(gw, k.key, 'gm', 'customer-pub'), 200);
    assert.equal(await chat(gw, k.key, 'missing'), 404);
    const res = await fetch(`${gw.url}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    for (const family of [
      'litellm_requests_metric_total',
      'litellm_spend_metric_total',
      'litellm_total_tokens_metric_total',
      'litellm_input_tokens_metric_total',
      'litellm_output_tokens_metric_total',
      'litellm_proxy_total_requests_metric_total',
      'litellm_proxy_failed_requests_metric_total',
      'litellm_request_total_latency_metric',
      'litellm_llm_api_latency_metric',
      'litellm_deployment_state',
    ])
      assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'), family);
    assert.equal(sum(text, 'litellm_requests_metric_total', ['model="gm-up"']), 2);
    assert.ok(Math.abs(sum(text, 'litellm_spend_metric_total') - 2 * COST) < 1e-9);
    assert.equal(sum(text, 'litellm_total_tokens_metric_total', ['requested_model="gm"']), 36);
    assert.equal(sum(text, 'litellm_input_tokens_metric_total'), 22);
    assert.equal(sum(text, 'litellm_output_tokens_metric_total'), 14);
    assert.equal(sum(text, 'litellm_proxy_failed_requests_metric_total', ['exception_status="404"']), 1);
    assert.equal(sum(text, 'litellm_request_total_latency_metric_count', ['requested_model="gm"']), 2);
    assert.equal(sum(text, 'litellm_deployment_state', ['model_id="gm-1"']), 0);
    for (const name of ['hashed_api_key', 'api_key_alias', 'team=', 'end_user=', 'user=', 'api_base'])
      assert.ok(!text.includes(name), `${name} on the public endpoint`);
    for (const value of [k.token, 'team-pub', 'user-pub', 'customer-pub', up.url, 'remaining_api_key_budget'])
      assert.ok(!text.includes(value), `${value} on the public endpoint`);
    await new Promise((r) => setTimeout(r, 500));
    const [n] = await sql<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM spend_logs');
    assert.equal(n.n, 0, 'disable_spend_logs: no rows');
    await waitFor(async () => {
      const [s] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [k.token]);
      return Math.abs(s.spend - 2 * COST) < 1e-9;
    }, 'spend totals kept with spend logs off');
  });
});

describe('LiteLLM metrics behind require_auth_for_metrics_endpoint, and retention', () => {
  let db: TestDatabase;
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let setup: ProxyOnDatabase | undefined;

  before(async () => {
    setup = await startProxy({
      database: 'gw_spend_metrics_auth',
      apiKey: MASTER,
      yaml: (upstream) =>
        yaml(
          upstream,
          '  maximum_spend_logs_retention_period: 30d\nlitellm_settings:\n  require_auth_for_metrics_endpoint: true\n',
        ),
    });
    ({ db, up, gw } = setup);
    up.respondWith({ json: chatCompletion('ok') });
  });
  after(() => setup?.close());

  it('needs an admin credential, then names key, team, user and end user, and shows key budgets', async () => {
    const user = await fetch(`${gw.url}/user/new`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'user-m', max_budget: 7, auto_create_key: false }),
    });
    assert.equal(user.status, 200);
    const k = await newKey(gw, { key_alias: 'alias-m', team_id: 'team-m', user_id: 'user-m', max_budget: 5 });
    assert.equal(await chat(gw, k.key, 'gm', 'customer-m'), 200);
    assert.equal((await fetch(`${gw.url}/metrics`)).status, 401);
    assert.equal(
      (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${k.key}` } })).status,
      403,
      'a virtual key is no admin',
    );
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    const caller = [
      `hashed_api_key="${k.token}"`,
      'api_key_alias="alias-m"',
      'team="team-m"',
      'user="user-m"',
      'end_user="customer-m"',
    ];
    assert.equal(sum(text, 'litellm_requests_metric_total', [...caller, 'model="gm-up"']), 1);
    assert.ok(Math.abs(sum(text, 'litellm_spend_metric_total', caller) - COST) < 1e-9);
    assert.equal(sum(text, 'litellm_total_tokens_metric_total', [...caller, 'requested_model="gm"']), 18);
    assert.equal(sum(text, 'litellm_proxy_total_requests_metric_total', [...caller, 'status_code="200"']), 1);
    const remaining = sum(text, 'litellm_remaining_api_key_budget_metric', [`hashed_api_key="${k.token}"`]);
    assert.ok(Math.abs(remaining - (5 - COST)) < 1e-9, `remaining ${remaining}`);
    assert.equal(sum(text, 'litellm_api_key_max_budget_metric', [`hashed_api_key="${k.token}"`]), 5);
    assert.match(text, /^litellm_deployment_state\{[^}]*api_base="http:\/\/127\.0\.0\.1:\d+"[^}]*\} 0$/m);
    // The user's budget too, under LiteLLM's names and its `user` label, once the call's spend is written.
    await waitFor(async () => {
      const t = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } })).text();
      return Math.abs(sum(t, 'litellm_remaining_user_budget_metric', ['user="user-m"']) - (7 - COST)) < 1e-9;
    }, 'the user budget metric');
    const later = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${MASTER}` } })).text();
    assert.equal(sum(later, 'litellm_user_max_budget_metric', ['user="user-m"']), 7);
    assert.ok(!text.includes(MASTER) && !text.includes(k.key) && !text.includes('sk-upstream-metrics'));
  });

  it('retention drops whole old days and deletes older rows of the day the cut falls in, keeping the rest', async () => {
    const now = Date.now();
    const cut = now - 30 * 86_400_000;
    const insert = async (at: number, id: string) => {
      const day = new Date(Math.floor(at / 86_400_000) * 86_400_000);
      const name = `spend_logs_${day.toISOString().slice(0, 10).replace(/-/g, '')}`;
      const next = new Date(day.getTime() + 86_400_000).toISOString();
      await sql(
        db.url,
        `CREATE TABLE IF NOT EXISTS "${name}" PARTITION OF spend_logs FOR VALUES FROM ('${day.toISOString()}') TO ('${next}')`,
      );
      await sql(
        db.url,
        `INSERT INTO spend_logs (id, request_id, call_type, model, start_time, end_time, status, status_code)
         VALUES ($1, $1, 'acompletion', 'gm', $2, $2, 'success', 200)`,
        [id, new Date(at).toISOString()],
      );
      return name;
    };
    const oldDay = await insert(now - 40 * 86_400_000, 'old-40d');
    await insert(cut - 1_000, 'old-cut');
    await insert(cut + 60_000, 'kept-cut');
    await insert(now - 86_400_000, 'kept-1d');
    const run = await gw.app.get(SpendRetention).run(now);
    assert.equal(run.busy, false);
    assert.ok(run.droppedDays >= 1);
    const ids = (await sql<{ id: string }>(db.url, 'SELECT id FROM spend_logs ORDER BY start_time')).map((r) => r.id);
    assert.ok(!ids.includes('old-40d') && !ids.includes('old-cut'), ids.join());
    assert.ok(ids.includes('kept-cut') && ids.includes('kept-1d'), ids.join());
    const [gone] = await sql<{ t: string | null }>(db.url, 'SELECT to_regclass($1)::text AS t', [oldDay]);
    assert.equal(gone.t, null, 'the old day is dropped as a whole');
    const [left] = await sql<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM spend_logs WHERE start_time < $1', [
      new Date(cut).toISOString(),
    ]);
    assert.equal(left.n, 0);
  });
  it('keeps rows of days without their own partition (imported, backdated) and deletes them past the cut', async () => {
    const now = Date.now();
    const insert = (id: string, at: number) =>
      sql(
        db.url,
        `INSERT INTO spend_logs (id, request_id, call_type, model, start_time, end_time, status, status_code)
         VALUES ($1, $1, 'acompletion', 'gm', $2, $2, 'success', 200)`,
        [id, new Date(at).toISOString()],
      );
    await insert('imported-50d', now - 50 * 86_400_000);
    await insert('imported-10d', now - 10 * 86_400_000);
    // The gateway writing into such a day (a call that started then) still succeeds.
    await gw.app.get(SpendLogStore).insert([plainRow('late-10d', now - 10 * 86_400_000 + 1_000, 0)]);
    const run = await gw.app.get(SpendRetention).run(now);
    assert.equal(run.busy, false);
    const ids = (await sql<{ id: string }>(db.url, 'SELECT id FROM spend_logs')).map((r) => r.id);
    assert.ok(!ids.includes('imported-50d'), ids.join());
    assert.ok(ids.includes('imported-10d') && ids.includes('late-10d'), ids.join());
  });
});
