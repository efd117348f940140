import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { CALL_ACCOUNTING, type Admission, type CallAccounting, type CallReport } from '../../src/proxy/call-accounting';
import { readJson, type InProcessGateway } from '../support/gateway';
import { waitFor } from '../support/management-api';
import { openaiClient, startProxy, type ProxySetup } from '../support/proxy-setup';
import { chatCompletion } from '../support/upstream';

const MASTER = 'sk-master-litellm-bodies-1234';

/** A /key/generate body as LiteLLM's documentation writes them, every kind of field at once. */
const LITELLM_BODY = {
  models: ['gpt', 'other'],
  key_alias: 'team-a-key',
  duration: '30d',
  max_budget: 10,
  budget_duration: '30d',
  soft_budget: 5,
  tpm_limit: 100000,
  rpm_limit: 100,
  max_parallel_requests: 10,
  metadata: { team: 'core-infra', app: 'app2' },
  tags: ['prod', 'team-a'],
  aliases: { 'my-gpt': 'gpt' },
  model_max_budget: { other: { budget_limit: 0.0000001, time_period: '1d' } },
  model_rpm_limit: { gpt: 1000 },
  model_tpm_limit: { gpt: 100000 },
  config: { tier: 'gold' },
  permissions: { pii_masking: true },
  allowed_cache_controls: ['no-cache'],
  guardrails: ['aporia-pre-guard'],
  enforced_params: ['user'],
  rpm_limit_type: 'best_effort_throughput',
  tpm_limit_type: 'best_effort_throughput',
  object_permission: { vector_stores: ['vs-1'] },
  router_settings: { num_retries: 3 },
  organization_id: 'org-1',
  key_type: 'llm_api',
  send_invite_email: true,
  spend: 0,
};
const STORED = [
  'budget_duration',
  'soft_budget',
  'tags',
  'aliases',
  'model_max_budget',
  'model_rpm_limit',
  'model_tpm_limit',
  'config',
  'permissions',
  'allowed_cache_controls',
  'guardrails',
  'enforced_params',
  'rpm_limit_type',
  'tpm_limit_type',
  'object_permission',
  'router_settings',
  'organization_id',
] as const;

describe('keys: LiteLLM-shaped /key/* bodies accepted, answered back, and the fields with effect acting', () => {
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;
  const reports: CallReport[] = [];

  const post = async (path: string, body: object) => {
    const res = await fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await readJson(res)) as Record<string, any> };
  };
  const client = (key: string) => openaiClient(gw.url, key);
  const ask = (key: string, model: string, extra: object = {}) =>
    client(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

  before(async () => {
    setup = await startProxy({
      database: 'gw_key_bodies',
      apiKey: MASTER,
      respond: (req) => ({
        json: chatCompletion(`from ${req.body?.model}`, { prompt_tokens: 10, completion_tokens: 5 }),
      }),
      yaml: (upstream) => `model_list:
  - model_name: gpt
    litellm_params: { model: openai/gpt-up, api_base: ${upstream} }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
  - model_name: other
    litellm_params: { model: openai/other-up, api_base: ${upstream} }
    model_info: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 }
general_settings:
  master_key: ${MASTER}
`,
    });
    ({ gw } = setup);
    // Sees each call's report as the keys accounting gets it (the real accounting still runs).
    const acct = gw.app.get<CallAccounting>(CALL_ACCOUNTING);
    const admit = acct.admit.bind(acct);
    const watch = (a: Admission): Admission => ({
      models: a.models,
      tags: a.tags,
      done: (r) => {
        if (r) reports.push(r);
        a.done(r);
      },
    });
    acct.admit = (caller, group) => {
      const a = admit(caller, group);
      return a instanceof Promise ? a.then(watch) : watch(a);
    };
  });
  after(() => setup?.close());

  it('/key/generate accepts the whole body; /key/info answers the stored fields back as sent', async () => {
    const gen = await post('/key/generate', LITELLM_BODY);
    assert.equal(gen.status, 200, JSON.stringify(gen.body));
    for (const f of STORED) assert.deepEqual(gen.body[f], LITELLM_BODY[f], f);
    assert.equal(gen.body.key_type, undefined, 'key_type is ignored quietly');
    assert.equal(gen.body.send_invite_email, undefined, 'send_invite_email is ignored quietly');
    const res = await fetch(`${gw.url}/key/info?key=${gen.body.key}`, {
      headers: { authorization: `Bearer ${MASTER}` },
    });
    const info = (await readJson(res)).info as Record<string, unknown>;
    for (const f of STORED) assert.deepEqual(info[f], LITELLM_BODY[f], f);
    assert.equal(info.max_budget, 10);
  });

  it('/key/update changes the fields given, keeps the others, and null removes one', async () => {
    const gen = await post('/key/generate', { tags: ['a'], config: { x: 1 }, guardrails: ['g'] });
    const upd = await post('/key/update', { key: gen.body.key, tags: ['b'], config: null, policies: ['p1'] });
    assert.equal(upd.status, 200, JSON.stringify(upd.body));
    assert.deepEqual(upd.body.tags, ['b']);
    assert.equal(upd.body.config, undefined);
    assert.deepEqual(upd.body.guardrails, ['g']);
    assert.deepEqual(upd.body.policies, ['p1']);
  });

  it('a field LiteLLM does not have gets 400 naming it', async () => {
    const res = await post('/key/generate', { models: ['gpt'], max_budgett: 5 });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.param, 'max_budgett');
    assert.match(res.body.error.message, /Unknown field in the request body: max_budgett/);
    const bad = await post('/key/generate', { model_rpm_limit: { gpt: 'lots' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /model_rpm_limit/);
  });

  it('aliases: the key may send its own name for a model group (the openai client end to end)', async () => {
    const { body } = await post('/key/generate', { aliases: { 'my-gpt': 'gpt' } });
    const answer = await ask(body.key as string, 'my-gpt');
    assert.equal(answer.choices[0].message.content, 'from gpt-up');
    const plain = await post('/key/generate', {});
    await assert.rejects(
      ask(plain.body.key as string, 'my-gpt'),
      (err: unknown) => err instanceof OpenAI.NotFoundError,
    );
  });

  it('model_rpm_limit: the key is limited on that model only', async () => {
    const { body } = await post('/key/generate', { model_rpm_limit: { gpt: 1 } });
    await ask(body.key as string, 'gpt');
    await assert.rejects(ask(body.key as string, 'gpt'), (err: unknown) => err instanceof OpenAI.RateLimitError);
    await ask(body.key as string, 'other');
  });

  it('model_max_budget: once the key spent it on a model, that model is refused; others still answer', async () => {
    const { body } = await post('/key/generate', { model_max_budget: { gpt: 0.000001 } });
    await ask(body.key as string, 'gpt');
    await assert.rejects(ask(body.key as string, 'gpt'), (err: unknown) => {
      assert.ok(err instanceof OpenAI.BadRequestError, String(err));
      assert.equal(err.code, 'budget_exceeded');
      return true;
    });
    await ask(body.key as string, 'other');
  });

  it("tags: the key's and the request's metadata.tags are on the call's spend log row", async () => {
    const { body } = await post('/key/generate', { tags: ['team-a'] });
    await ask(body.key as string, 'gpt', { metadata: { tags: ['feature-x', 42] } });
    let rows: any[] = [];
    await waitFor(
      async () => {
        const res = await fetch(`${gw.url}/spend/logs?api_key=${body.token}`, {
          headers: { authorization: `Bearer ${MASTER}` },
        });
        rows = (await readJson(res)) as any[];
        return rows.length > 0;
      },
      10_000,
      'the call written to the spend logs',
    );
    assert.equal(rows.length, 1);
    assert.deepEqual([...rows[0].request_tags].sort(), ['feature-x', 'team-a']);
  });
});
