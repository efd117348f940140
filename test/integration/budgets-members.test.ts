import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { InProcessGateway } from '../support/gateway';
import { managementApi, waitFor } from '../support/management-api';
import { auditActions, sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatCompletion } from '../support/upstream';

const MASTER = 'sk-master-budgets-members-1';
const USAGE = { prompt_tokens: 100, completion_tokens: 50 };
const COST = 100 * 0.0001 + 50 * 0.0002; // 0.02 per chat call
/** Team ids of this run: limit state shared through Redis outlives a test database. */
const run = randomBytes(3).toString('hex');
const T = (name: string) => `${name}-${run}`;

describe('team-member budgets: max_budget_in_team and team_member_budget (PostgreSQL, Redis)', () => {
  let gw: InProcessGateway;
  let db: TestDatabase;
  let setup: ProxyOnDatabase | undefined;
  const { ok } = managementApi(() => gw.url, MASTER);
  const ask = (key: string) =>
    new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 }).chat.completions.create({
      model: 'gpt-test',
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
  const keyOf = async (teamId: string, userId: string) =>
    (await ok('POST', '/key/generate', { team_id: teamId, user_id: userId })).key as string;

  before(async () => {
    setup = await startProxy({
      database: 'gw_budgets_members',
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
  });
  after(() => setup?.close());

  it("max_budget_in_team limits what the member spends through the team; others and the member's other teams are not", async () => {
    await ok('POST', '/team/new', { team_id: T('tm-a') });
    await ok('POST', '/team/new', { team_id: T('tm-b') });
    const added = await ok('POST', '/team/member_add', {
      team_id: T('tm-a'),
      member: { role: 'user', user_id: 'alice' },
      max_budget_in_team: 2 * COST,
    });
    assert.equal(added.updated_team_memberships.length, 1);
    assert.equal(added.updated_team_memberships[0].litellm_budget_table.max_budget, 2 * COST);
    await ok('POST', '/team/member_add', { team_id: T('tm-a'), member: { role: 'user', user_id: 'bob' } });
    await ok('POST', '/team/member_add', { team_id: T('tm-b'), member: { role: 'user', user_id: 'alice' } });
    const alice = await keyOf(T('tm-a'), 'alice');
    await ask(alice);
    await ask(alice);
    const err = await rejected(ask(alice));
    assert.ok(err instanceof OpenAI.BadRequestError);
    assert.equal(err.code, 'budget_exceeded');
    assert.match(
      err.message,
      new RegExp(`Budget has been exceeded! User=alice in Team=${T('tm-a')} Current cost: 0\\.04`),
    );
    const aliceAgain = await keyOf(T('tm-a'), 'alice');
    assert.equal((await rejected(ask(aliceAgain))).code, 'budget_exceeded', 'every key of the member in the team');
    await ask(await keyOf(T('tm-a'), 'bob'));
    await ask(await keyOf(T('tm-b'), 'alice'));

    const info = await ok('GET', `/team/info?team_id=${T('tm-a')}`);
    const m = info.team_memberships.find((x: { user_id: string }) => x.user_id === 'alice');
    assert.ok(Math.abs(m.spend - 2 * COST) < 1e-9, String(m.spend));
    assert.equal(m.team_id, T('tm-a'));
    assert.equal(m.litellm_budget_table.budget_id, m.budget_id);
    assert.equal(m.litellm_budget_table.max_budget, 2 * COST);
    // /team/list answers each team's memberships too (LiteLLM's TeamListResponseObject), the user's only when named.
    const listed = await ok('GET', '/team/list?user_id=alice');
    const tmA = listed.find((t: { team_id: string }) => t.team_id === T('tm-a')).team_memberships;
    assert.deepEqual(
      tmA.map((x: { user_id: string }) => x.user_id),
      ['alice'],
    );
    assert.equal(tmA[0].litellm_budget_table.max_budget, 2 * COST);
    const all = await ok('GET', '/team/list');
    const everyone = all.find((t: { team_id: string }) => t.team_id === T('tm-a')).team_memberships;
    assert.ok(everyone.some((x: { user_id: string }) => x.user_id === 'alice'));
    await waitFor(
      async () => {
        const rows = await sql<{ spend: number }>(
          db.url,
          "SELECT spend FROM team_memberships WHERE team_id = $1 AND user_id = 'alice'",
          [T('tm-a')],
        );
        return rows.length === 1 && Math.abs(Number(rows[0].spend) - 2 * COST) < 1e-9;
      },
      5_000,
      'member spend written',
    );
    assert.deepEqual(await auditActions(db.url, m.budget_id), ['budget.new']);

    const raised = await ok('POST', '/team/member_update', {
      team_id: T('tm-a'),
      user_id: 'alice',
      max_budget_in_team: 1,
    });
    assert.equal(raised.max_budget_in_team, 1);
    await ask(alice);
  });

  it("a member's spend in the team is counted without a budget there, and counts against one given later", async () => {
    await ok('POST', '/team/new', { team_id: T('tm-count') });
    await ok('POST', '/team/member_add', { team_id: T('tm-count'), member: { role: 'user', user_id: 'gina' } });
    const gina = await keyOf(T('tm-count'), 'gina');
    await ask(gina);
    await ask(gina);
    await waitFor(
      async () => {
        const rows = await sql<{ spend: number; budget_id: string | null }>(
          db.url,
          "SELECT spend, budget_id FROM team_memberships WHERE team_id = $1 AND user_id = 'gina'",
          [T('tm-count')],
        );
        return rows.length === 1 && rows[0].budget_id === null && Math.abs(Number(rows[0].spend) - 2 * COST) < 1e-9;
      },
      5_000,
      'member spend written without a budget',
    );
    const info = await ok('GET', `/team/info?team_id=${T('tm-count')}`);
    const m = info.team_memberships.find((x: { user_id: string }) => x.user_id === 'gina');
    assert.ok(Math.abs(m.spend - 2 * COST) < 1e-9, String(m.spend));
    assert.equal(m.budget_id, null);
    await ok('POST', '/team/member_update', { team_id: T('tm-count'), user_id: 'gina', max_budget_in_team: 2 * COST });
    assert.equal((await rejected(ask(gina))).code, 'budget_exceeded', 'the spend before the budget counts');
  });

  it("a member budget's budget_duration restarts the member's spend in the team when its period ends", async () => {
    await ok('POST', '/team/new', { team_id: T('tm-period') });
    await ok('POST', '/team/member_add', {
      team_id: T('tm-period'),
      member: { role: 'user', user_id: 'hank' },
      max_budget_in_team: COST,
    });
    await ok('POST', '/team/member_update', { team_id: T('tm-period'), user_id: 'hank', budget_duration: '2s' });
    const hank = await keyOf(T('tm-period'), 'hank');
    const [{ reset_at: first }] = await sql<{ reset_at: Date }>(
      db.url,
      "SELECT budget_reset_at AS reset_at FROM team_memberships WHERE team_id = $1 AND user_id = 'hank'",
      [T('tm-period')],
    );
    assert.ok(first instanceof Date, 'the membership follows its budget period');
    await ask(hank);
    assert.equal((await rejected(ask(hank))).code, 'budget_exceeded');
    await new Promise((r) => setTimeout(r, Math.max(0, first.getTime() - Date.now()) + 50));
    // Calls of the new period: the first passes; the period's spend then refuses them again.
    let calls = 0;
    await waitFor(
      async () => {
        const passed = await ask(hank).then(
          () => true,
          () => false,
        );
        if (passed) calls++;
        return !passed;
      },
      3_000,
      'the new period spent',
    );
    assert.ok(calls >= 1, 'the new period admits a call');
    await waitFor(
      async () => {
        const rows = await sql<{ spend: number; reset_at: Date }>(
          db.url,
          "SELECT spend, budget_reset_at AS reset_at FROM team_memberships WHERE team_id = $1 AND user_id = 'hank'",
          [T('tm-period')],
        );
        return (
          Math.abs(Number(rows[0].spend) - calls * COST) < 1e-9 && rows[0].reset_at.getTime() - first.getTime() >= 2_000
        );
      },
      5_000,
      "the database's period restarted, one duration after the previous end",
    );
  });

  it("team_member_budget is every member's budget in the team unless the member has its own", async () => {
    const t = await ok('POST', '/team/new', {
      team_id: T('tm-default'),
      team_member_budget: COST,
      members_with_roles: [{ role: 'user', user_id: 'carol' }],
    });
    assert.equal(typeof t.metadata.team_member_budget_id, 'string');
    const info = await ok('GET', `/team/info?team_id=${T('tm-default')}`);
    assert.equal(info.team_info.team_member_budget_table.max_budget, COST);
    const carol = await keyOf(T('tm-default'), 'carol');
    await ask(carol);
    assert.equal((await rejected(ask(carol))).code, 'budget_exceeded');
    await ok('POST', '/team/member_add', {
      team_id: T('tm-default'),
      member: { role: 'user', user_id: 'dave' },
      max_budget_in_team: 3 * COST,
    });
    const dave = await keyOf(T('tm-default'), 'dave');
    await ask(dave);
    await ask(dave);
    // A metadata change keeps the link to the default; raising the default lets carol call again.
    await ok('POST', '/team/update', { team_id: T('tm-default'), metadata: { owner: 'x' } });
    const updated = await ok('POST', '/team/update', { team_id: T('tm-default'), team_member_budget: 1 });
    assert.equal(updated.data.metadata.owner, 'x');
    assert.equal(updated.data.metadata.team_member_budget_id, t.metadata.team_member_budget_id);
    await ask(carol);
  });

  it("a member's rpm_limit in the team (member_update) refuses with 429", async () => {
    await ok('POST', '/team/new', { team_id: T('tm-rpm') });
    await ok('POST', '/team/member_add', { team_id: T('tm-rpm'), member: { role: 'user', user_id: 'erin' } });
    await ok('POST', '/team/member_update', { team_id: T('tm-rpm'), user_id: 'erin', rpm_limit: 1 });
    const erin = await keyOf(T('tm-rpm'), 'erin');
    await ask(erin);
    const err = await rejected(ask(erin));
    assert.ok(err instanceof OpenAI.RateLimitError);
    assert.match(err.message, /team member/);
  });

  it('a budget changed with /budget/update reaches the members that take it', async () => {
    await ok('POST', '/team/new', { team_id: T('tm-shared') });
    await ok('POST', '/team/member_add', {
      team_id: T('tm-shared'),
      member: { role: 'user', user_id: 'frank' },
      max_budget_in_team: 100,
    });
    const frank = await keyOf(T('tm-shared'), 'frank');
    await ask(frank);
    const info = await ok('GET', `/team/info?team_id=${T('tm-shared')}`);
    await ok('POST', '/budget/update', { budget_id: info.team_memberships[0].budget_id, max_budget: 0 });
    assert.equal((await rejected(ask(frank))).code, 'budget_exceeded');
    await ok('POST', '/team/member_delete', { team_id: T('tm-shared'), user_id: 'frank' });
    // As LiteLLM: the member's keys of the team go with it; a key an admin makes for it there afterwards is bound by
    // no member budget (the membership and its budget are gone).
    assert.equal((await rejected(ask(frank))).status, 401);
    await ask(await keyOf(T('tm-shared'), 'frank'));
  });
});
