import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { RouterService } from '../../src/proxy/router/router.service';
import { startGateway, type InProcessGateway } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';
import { chatCompletion, startUpstream, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-master-routing-shared-1';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const messages = [{ role: 'user' as const, content: 'hi' }];

/** Routing state shared through Redis: one instance's load steers another instance's usage-based routing. */
describe('routing: strategies see the other instances through Redis', () => {
  let up: FakeUpstream;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const gws: InProcessGateway[] = [];
  // Deployment ids unique to this run: the Redis keys are per deployment id.
  const run = randomBytes(4).toString('hex');
  const x = `x-${run}`;
  const y = `y-${run}`;

  before(async () => {
    up = await startUpstream((req) => ({
      json: chatCompletion(`from ${String(req.body?.model)}`, { prompt_tokens: 100, completion_tokens: 50 }),
    }));
    db = await createTestDatabase('gw_routing_shared');
  });
  after(async () => {
    for (const g of gws) await g.close();
    await up?.close();
    await db?.drop();
  });

  const dep = (id: string) => `
  - model_name: g
    litellm_params: { model: openai/${id}, api_base: ${up.url} }
    model_info: { id: ${id} }`;
  async function gateway(deployments: string, redisUrl: string): Promise<InProcessGateway> {
    const gw = await startGateway(
      `model_list:${deployments}
general_settings:
  master_key: ${MASTER}
router_settings:
  routing_strategy: usage-based-routing-v2
`,
      { DATABASE_URL: db.url, REDIS_URL: redisUrl },
    );
    gws.push(gw);
    return gw;
  }
  async function served(gw: InProcessGateway, n: number): Promise<string[]> {
    const client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const out: string[] = [];
    for (let i = 0; i < n; i++)
      out.push((await client.chat.completions.create({ model: 'g', messages })).choices[0].message.content!);
    return out;
  }

  it('usage-based-routing-v2: deployment x loaded through instance A, instance B sends to y', async () => {
    // A serves only x (a rolling config change); B serves x and y, the same deployments by id.
    const a = await gateway(dep(x), REDIS_URL);
    const b = await gateway(dep(x) + dep(y), REDIS_URL);
    assert.deepEqual(new Set(await served(a, 10)), new Set([`from ${x}`])); // 10 x 150 tokens on x this minute
    const onB = b.app
      .get(RouterService)
      .group('g')!
      .deployments.find((d) => d.id === x)!;
    const deadline = Date.now() + 10_000;
    while (onB.usage.tokensNow(Date.now()) < 1500) {
      assert.ok(Date.now() < deadline, 'instance B never saw the tokens A sent to x');
      await new Promise((r) => setTimeout(r, 50));
    }
    // B's own 8 calls (1200 tokens) on y stay under x's 1500: every one goes to y. Counted per instance, B
    // would see x and y both empty and share the calls between them.
    assert.deepEqual(await served(b, 8), Array(8).fill(`from ${y}`));
  });

  it('Redis unreachable: calls still answer (local counts), with one warning', async () => {
    const gw = await gateway(dep(`z-${run}`) + dep(`w-${run}`), 'redis://127.0.0.1:1');
    await new Promise((r) => setTimeout(r, 1_500)); // several sync rounds
    assert.equal((await served(gw, 4)).length, 4);
    await new Promise((r) => setTimeout(r, 500));
    const warnings = gw.logs.lines.filter((l) => l.includes('redis (routing state) unreachable'));
    assert.equal(warnings.length, 1, gw.logs.text());
  });
});
