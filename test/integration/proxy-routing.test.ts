import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { readJson, startGateway, type InProcessGateway } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';
import { chatCompletion, startUpstream, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-master-routing-strategies-1';
const messages = [{ role: 'user' as const, content: 'hi' }];

describe('routing strategies, aliases and wildcards, with the openai client', () => {
  let up: FakeUpstream;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  /** Answers per upstream model: `slow-*` after 150 ms, `hold-*` after 800 ms. */
  before(async () => {
    up = await startUpstream((req) => {
      const model = String(req.body?.model);
      const delayMs = model.startsWith('slow') ? 150 : model.startsWith('hold') ? 800 : 0;
      return { json: chatCompletion(`from ${model}`, { prompt_tokens: 100, completion_tokens: 50 }), delayMs };
    });
    db = await createTestDatabase('gw_routing');
  });
  after(async () => {
    await up?.close();
    await db?.drop();
  });

  async function gateway(strategy: string, deployments: string, extra = ''): Promise<InProcessGateway> {
    return startGateway(
      `model_list:${deployments}
general_settings:
  master_key: ${MASTER}
router_settings:
  routing_strategy: ${strategy}
${extra}`,
      { DATABASE_URL: db.url },
    );
  }
  const dep = (group: string, model: string, info = '') => `
  - model_name: ${group}
    litellm_params: { model: openai/${model}, api_base: ${up.url} }
    model_info: { id: ${model}${info} }`;
  async function served(gw: InProcessGateway, model: string, n: number): Promise<Record<string, number>> {
    const client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const out: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const r = await client.chat.completions.create({ model, messages });
      const from = r.choices[0].message.content!;
      out[from] = (out[from] ?? 0) + 1;
    }
    return out;
  }

  it('latency-based-routing: after each deployment is measured, calls go to the fastest', async () => {
    const gw = await gateway('latency-based-routing', dep('g', 'slow-a') + dep('g', 'fast-b'));
    try {
      const counts = await served(gw, 'g', 12);
      assert.ok((counts['from fast-b'] ?? 0) >= 10, JSON.stringify(counts));
      assert.ok((counts['from slow-a'] ?? 0) >= 1, 'the slow one was measured once');
    } finally {
      await gw.close();
    }
  });

  it('cost-based-routing: every call goes to the cheaper deployment', async () => {
    const gw = await gateway(
      'cost-based-routing',
      dep('g', 'dear-a', ', input_cost_per_token: 0.00003, output_cost_per_token: 0.00006') +
        dep('g', 'cheap-b', ', input_cost_per_token: 0.0000001, output_cost_per_token: 0.0000002'),
    );
    try {
      assert.deepEqual(await served(gw, 'g', 6), { 'from cheap-b': 6 });
    } finally {
      await gw.close();
    }
  });

  it('usage-based-routing-v2: calls even out the tokens of the minute across deployments', async () => {
    const gw = await gateway('usage-based-routing-v2', dep('g', 'u-a') + dep('g', 'u-b'));
    try {
      const counts = await served(gw, 'g', 6);
      // Alternating (each call goes to the one with fewer tokens); a minute turning over may shift one call.
      assert.ok(counts['from u-a'] >= 2 && counts['from u-b'] >= 2, JSON.stringify(counts));
    } finally {
      await gw.close();
    }
  });

  it('least-busy: a new call goes to the deployment with fewer calls in flight', async () => {
    const gw = await gateway('least-busy', dep('g', 'hold-a') + dep('g', 'hold-b'));
    const client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    try {
      // Four calls 50 ms apart, each held 800 ms upstream: the 2nd goes where the 1st is not, the 4th where the
      // 3rd is not (each time one deployment has a call more in flight than the other).
      const calls: Promise<OpenAI.Chat.Completions.ChatCompletion>[] = [];
      for (let i = 0; i < 4; i++) {
        calls.push(client.chat.completions.create({ model: 'g', messages }));
        await new Promise((r) => setTimeout(r, 50));
      }
      const froms = (await Promise.all(calls)).map((r) => r.choices[0].message.content);
      assert.notEqual(froms[0], froms[1], froms.join(', '));
      assert.notEqual(froms[2], froms[3], froms.join(', '));
    } finally {
      await gw.close();
    }
  });

  it('model_group_alias and wildcards: callable, listed in /models and /model/info, the requested model passed on', async () => {
    const gw = await gateway(
      'simple-shuffle',
      `${dep('gpt-4o', 'real-4o')}
  - model_name: "openai/*"
    litellm_params: { model: "openai/*", api_base: ${up.url} }
  - model_name: bedrock-claude
    litellm_params: { model: bedrock/anthropic.claude-3, aws_region_name: us-east-1 }`,
      '  model_group_alias: { "gpt-4": "gpt-4o", "secret-alias": { model: "gpt-4o", hidden: true } }\n',
    );
    const client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    try {
      assert.deepEqual(await served(gw, 'gpt-4', 1), { 'from real-4o': 1 });
      assert.deepEqual(await served(gw, 'secret-alias', 1), { 'from real-4o': 1 });
      assert.deepEqual(await served(gw, 'openai/gpt-4.1-mini', 1), { 'from gpt-4.1-mini': 1 });
      assert.equal(up.requests.at(-1)?.body?.model, 'gpt-4.1-mini');
      const ids = (await client.models.list()).data.map((m) => m.id);
      assert.deepEqual(ids.sort(), ['bedrock-claude', 'gpt-4', 'gpt-4o', 'openai/*'].sort());
      const res = await fetch(`${gw.url}/model/info`, { headers: { authorization: `Bearer ${MASTER}` } });
      const info = (await readJson(res)).data as { model_name: string; model_info: Record<string, unknown> }[];
      assert.equal(info.find((e) => e.model_name === 'gpt-4')?.model_info.alias_of, 'gpt-4o');
      assert.equal(info.find((e) => e.model_name === 'openai/*')?.model_info.wildcard, true);
      assert.match(
        String(info.find((e) => e.model_name === 'bedrock-claude')?.model_info.unavailable),
        /provider 'bedrock' is not implemented/,
      );
      await assert.rejects(client.chat.completions.create({ model: 'bedrock-claude', messages }), (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError, String(err));
        assert.equal(err.code, 'provider_not_supported');
        assert.match(err.message, /bedrock/);
        return true;
      });
      assert.ok(gw.config.warnings.some((w) => w.includes("provider 'bedrock' is not implemented by the gateway")));
    } finally {
      await gw.close();
    }
  });
});
