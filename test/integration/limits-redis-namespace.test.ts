import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { managementApi } from '../support/management-api';
import { oneModelYaml, startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatCompletion } from '../support/upstream';

const MASTER = 'sk-master-limit-namespace-1';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Two gateways on two databases sharing one Redis (a new database for a new deployment, or a test database made
 * afresh): teams of the same id are different teams, and one's rpm window and budget spend are not the other's.
 */
describe('shared limits in Redis are per database', () => {
  const run = randomBytes(3).toString('hex');
  const setups: ProxyOnDatabase[] = [];

  before(async () => {
    for (const database of ['gw_limit_ns_a', 'gw_limit_ns_b']) {
      setups.push(
        await startProxy({
          database,
          apiKey: MASTER,
          env: { REDIS_URL },
          respond: () => ({ json: chatCompletion('ok', { prompt_tokens: 10, completion_tokens: 10 }) }),
          yaml: (up) => oneModelYaml(MASTER, up, { input_cost_per_token: 0.001, output_cost_per_token: 0.001 }),
        }),
      );
    }
  });
  after(async () => {
    for (const s of setups) await s.close();
  });

  it("a team of the same id on another database starts with none of the first one's rpm window or spend", async () => {
    let said = '';
    const call = (c: OpenAI) =>
      c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).then(
        () => 200,
        (err: { status?: number; message?: string }) => ((said = err.message ?? ''), err.status),
      );
    // Both teams exist before the first database's calls: its spend broadcast must not reach the other's team.
    const clients = [];
    for (const s of setups) {
      const { ok } = managementApi(() => s.gw.url, MASTER);
      const client = async (team: { team_id: string }) => {
        await ok('POST', '/team/new', team);
        const { key } = await ok('POST', '/key/generate', { team_id: team.team_id });
        return new OpenAI({ apiKey: key as string, baseURL: `${s.gw.url}/v1`, maxRetries: 0 });
      };
      // 20 tokens at 0.001: one call spends 0.02, past the budget.
      const budgeted = await client({ team_id: `ns-budget-${run}`, max_budget: 0.015 } as { team_id: string });
      const limited = await client({ team_id: `ns-rpm-${run}`, rpm_limit: 1 } as { team_id: string });
      clients.push({ budgeted, limited });
    }
    for (const [i, { budgeted, limited }] of clients.entries()) {
      assert.equal(await call(budgeted), 200, `database ${i}: the first call of its team: ${said}`);
      assert.equal(await call(budgeted), 400, `database ${i}: its own spend reached the budget`);
      assert.equal(await call(limited), 200, `database ${i}: the first call of its team: ${said}`);
      assert.equal(await call(limited), 429, `database ${i}: its own rpm window is full`);
      // The spend is written and broadcast within a second (proxy_batch_write_at).
      if (i === 0) await new Promise((r) => setTimeout(r, 2_000));
    }
  });
});
