import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateKey, managementApi, waitFor } from '../support/management-api';
import { sql } from '../support/postgres';
import { openaiClient, startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatCompletion } from '../support/upstream';

/**
 * The spend answers a LiteLLM user's scripts read, in LiteLLM's forms: `/spend/logs` with both dates and `summarize=true`
 * summarizes per day, and `/global/spend/report?group_by=team` names teams by their alias.
 */
const MASTER = 'sk-spend-forms-master-0001';
const IN = 0.001;
const OUT = 0.002;
const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

describe('spend answers in the forms LiteLLM documents', () => {
  let setup: ProxyOnDatabase;
  let team: { key: string; token: string };
  let solo: { key: string; token: string };
  const today = new Date().toISOString().slice(0, 10);
  const dayAfter = (d: string, n: number) =>
    new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
  const api = () => managementApi(() => setup.gw.url, MASTER);

  before(async () => {
    setup = await startProxy({
      database: 'gw_spend_forms',
      apiKey: MASTER,
      respond: () => ({ json: chatCompletion('hi', { prompt_tokens: 10, completion_tokens: 5 }) }),
      yaml: (upstream) => `
model_list:
  - model_name: priced
    litellm_params: { model: openai/priced-up, api_base: ${upstream}/v1, api_key: sk-upstream, input_cost_per_token: ${IN}, output_cost_per_token: ${OUT} }
general_settings:
  master_key: ${MASTER}
  proxy_batch_write_at: 0.1
`,
    });
    await api().ok('POST', '/team/new', { team_id: 'team-forms', team_alias: 'Prod Team' });
    await api().ok('POST', '/team/new', { team_id: 'team-noalias' });
    team = await generateKey(setup.gw.url, MASTER, { team_id: 'team-forms', user_id: 'user-forms' });
    solo = await generateKey(setup.gw.url, MASTER, { user_id: 'user-solo' });
    const quiet = await generateKey(setup.gw.url, MASTER, { team_id: 'team-noalias' });
    const ask = (key: string) =>
      openaiClient(setup.gw.url, key).chat.completions.create({
        model: 'priced',
        messages: [{ role: 'user', content: 'x' }],
      });
    for (const key of [team.key, team.key, solo.key, quiet.key]) await ask(key);
    await waitFor(
      async () => (await sql<any>(setup.db.url, 'SELECT count(*)::int AS n FROM spend_logs'))[0].n === 4,
      10_000,
      'spend log rows',
    );
  });
  after(() => setup?.close());

  it('summarizes /spend/logs per day when both dates and summarize=true are given, and answers rows otherwise', async () => {
    const end = dayAfter(today, 2);
    const days = await api().ok('GET', `/spend/logs?start_date=${today}&end_date=${end}&summarize=true`);
    const cost = 10 * IN + 5 * OUT;
    assert.deepEqual(
      days.map((d: any) => d.startTime),
      [today, dayAfter(today, 1), end],
      'a day with spend, then every later day up to end_date with none',
    );
    const [first, ...rest] = days;
    assert.ok(close(first.spend, 4 * cost));
    assert.ok(close(first[team.token], 2 * cost), 'spend per key hash, keyed by the hash');
    assert.ok(close(first[solo.token], cost));
    assert.ok(close(first.users['user-forms'], 2 * cost));
    assert.ok(close(first.models.priced, 4 * cost));
    for (const d of rest)
      assert.deepEqual({ ...d, startTime: undefined }, { startTime: undefined, spend: 0, users: {}, models: {} });

    const mine = await api().ok(
      'GET',
      `/spend/logs?start_date=${today}&end_date=${today}&api_key=${solo.key}&summarize=True`,
    );
    assert.equal(mine.length, 1);
    assert.ok(close(mine[0].spend, cost), 'filters apply to the summary');
    assert.equal(mine[0][team.token], undefined);

    const rows = await api().ok('GET', `/spend/logs?start_date=${today}&end_date=${end}&summarize=false`);
    assert.equal(rows.length, 4, 'summarize=false answers the rows');
    const plain = await api().ok('GET', `/spend/logs?start_date=${today}&end_date=${end}`);
    assert.equal(plain.length, 4, 'both dates without summarize: the rows, with filters and paging');
    assert.ok(plain.every((r: any) => typeof r.request_id === 'string'));
    assert.ok(rows.every((r: any) => typeof r.request_id === 'string'));
    assert.equal((await api().ok('GET', `/spend/logs?start_date=${today}`)).length, 4, 'one date alone: rows');
  });

  it('names teams by their alias in /global/spend/report?group_by=team, with the id alongside', async () => {
    const days = await api().ok('GET', `/global/spend/report?start_date=${today}&end_date=${today}&group_by=team`);
    const teams = days.flatMap((d: any) => d.teams);
    const byId = new Map(teams.map((t: any) => [t.team_id, t.team_name]));
    assert.equal(byId.get('team-forms'), 'Prod Team');
    assert.equal(byId.get('team-noalias'), 'team-noalias', 'a team without an alias is named by its id');
    assert.equal(byId.get(null), 'Unassigned Team', 'calls of no team');
  });

  it("answers every field of LiteLLM's spend log row, those of prompts and answers empty", async () => {
    const [row] = await api().ok('GET', `/spend/logs?api_key=${solo.key}`);
    // LiteLLM_SpendLogs' columns: a script reading any of them finds it.
    for (const field of [
      'request_id',
      'call_type',
      'api_key',
      'spend',
      'total_tokens',
      'prompt_tokens',
      'completion_tokens',
      'startTime',
      'endTime',
      'request_duration_ms',
      'completionStartTime',
      'model',
      'model_id',
      'model_group',
      'custom_llm_provider',
      'api_base',
      'user',
      'metadata',
      'cache_hit',
      'cache_key',
      'request_tags',
      'team_id',
      'organization_id',
      'end_user',
      'requester_ip_address',
      'messages',
      'response',
      'session_id',
      'status',
      'mcp_namespaced_tool_name',
      'agent_id',
      'proxy_server_request',
    ])
      assert.ok(field in row, `${field} answered`);
    assert.equal(row.custom_llm_provider, 'openai', "the deployment's provider");
    assert.deepEqual(
      [row.messages, row.response, row.proxy_server_request],
      [{}, {}, {}],
      'never the prompt or answer',
    );
    assert.equal(row.cache_key, '');
  });
});
