import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { readJson, spawnGateway, writeConfig, type SpawnedGateway } from '../support/gateway';
import { createTestDatabase, sql } from '../support/postgres';
import { chatCompletion, startUpstream, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-master-teams-instances-1';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const config = (upstream: string) => `
model_list:
  - model_name: gpt-test
    litellm_params: { model: openai/gpt-upstream, api_base: ${upstream}, api_key: sk-upstream-not-a-real-key }
    model_info: { input_cost_per_token: 0.01, output_cost_per_token: 0.01 }
general_settings:
  master_key: ${MASTER}
`;

async function chat(gw: SpawnedGateway, key: string, user?: string): Promise<{ status: number }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], user }),
  });
  await res.arrayBuffer();
  return { status: res.status };
}

async function admin(gw: SpawnedGateway, path: string, body: object) {
  const res = await fetch(gw.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await readJson(res);
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

/** Polls until `probe` answers `status`; how long after `since` (the moment A answered the change). */
async function until(probe: () => Promise<{ status: number }>, status: number, since: number): Promise<number> {
  for (;;) {
    if ((await probe()).status === status) return Date.now() - since;
    assert.ok(Date.now() - since < 3_000, `not ${status} after 3 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const broadcast of ['redis', 'postgres'] as const) {
  describe(`teams, users, end users: two gateway processes on one database (${broadcast} broadcast)`, () => {
    let upstream: FakeUpstream;
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    let a: SpawnedGateway;
    let b: SpawnedGateway;
    const run = randomBytes(3).toString('hex');

    before(async () => {
      upstream = await startUpstream(() => ({ json: chatCompletion('hello') }));
      db = await createTestDatabase('gw_teams_multi');
      const file = writeConfig(config(upstream.url));
      const env = { DATABASE_URL: db.url, ...(broadcast === 'redis' ? { REDIS_URL } : {}) };
      a = await spawnGateway(['--config', file], env);
      b = await spawnGateway(['--config', file], env);
    });
    after(async () => {
      await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
      await upstream?.close();
      await db?.drop();
    });

    it('a team, user or end user blocked on A is refused on B within 1 second, and unblocked likewise', async (ctx) => {
      const team = `team-${run}`;
      const user = `user-${run}`;
      const cust = `cust-${run}`;
      await admin(a, '/team/new', { team_id: team });
      await admin(a, '/user/new', { user_id: user, auto_create_key: false });
      const k = await admin(a, '/key/generate', { team_id: team, user_id: user });
      assert.equal((await chat(b, k.key, cust)).status, 200);
      const seen: string[] = [];
      const steps: [string, object, number][] = [
        ['/team/block', { team_id: team }, 401],
        ['/team/unblock', { team_id: team }, 200],
        ['/user/update', { user_id: user, blocked: true }, 401],
        ['/user/update', { user_id: user, blocked: false }, 200],
        ['/customer/block', { user_ids: [cust] }, 401],
        ['/customer/unblock', { user_ids: [cust] }, 200],
      ];
      for (const [path, body, status] of steps) {
        await admin(a, path, body);
        const took = await until(() => chat(b, k.key, cust), status, Date.now());
        assert.ok(took < 1_000, `${path} seen on B after ${took} ms`);
        seen.push(`${path} ${took}`);
      }
      ctx.diagnostic(`seen on B after (ms): ${seen.join(', ')}`);
    });

    it("a user's role changed on A applies to its key's routes on B within 1 second", async () => {
      const user = `role-${run}`;
      const made = await admin(a, '/user/new', { user_id: user, user_role: 'proxy_admin' });
      const teamList = async () => {
        const res = await fetch(`${b.url}/team/list`, { headers: { authorization: `Bearer ${made.key}` } });
        await res.arrayBuffer();
        return { status: res.status };
      };
      assert.equal((await teamList()).status, 200, "an admin's key lists teams on B");
      for (const [role, status] of [
        ['internal_user', 403],
        ['proxy_admin_viewer', 200],
        [null, 403],
      ] as const) {
        await admin(a, '/user/update', { user_id: user, user_role: role });
        const took = await until(teamList, status, Date.now());
        assert.ok(took < 1_000, `user_role ${role} seen on B after ${took} ms`);
      }
    });

    it('a budget changed on A reaches every end user taking it on B within 1 second', async () => {
      const budget = `budget-${run}`;
      const custs = [`bc1-${run}`, `bc2-${run}`];
      await admin(a, '/budget/new', { budget_id: budget, max_budget: 100 });
      for (const c of custs) await admin(a, '/customer/new', { user_id: c, budget_id: budget });
      const k = await admin(a, '/key/generate', {});
      for (const c of custs) assert.equal((await chat(b, k.key, c)).status, 200);
      for (const [maxBudget, status] of [
        [0, 400],
        [100, 200],
      ] as const) {
        await admin(a, '/budget/update', { budget_id: budget, max_budget: maxBudget });
        const since = Date.now();
        for (const c of custs) {
          const took = await until(() => chat(b, k.key, c), status, since);
          assert.ok(took < 1_000, `max_budget ${maxBudget} seen on B for ${c} after ${took} ms`);
        }
      }
    });

    it('a budget changed on A reaches every key taking it on B within 1 second', async () => {
      const budget = `key-budget-${run}`;
      await admin(a, '/budget/new', { budget_id: budget, max_budget: 100 });
      const keys = [
        (await admin(a, '/key/generate', { budget_id: budget })).key as string,
        (await admin(a, '/key/generate', { budget_id: budget, rpm_limit: 1000 })).key as string,
      ];
      for (const k of keys) assert.equal((await chat(b, k)).status, 200);
      for (const [maxBudget, status] of [
        [0, 400],
        [100, 200],
      ] as const) {
        await admin(a, '/budget/update', { budget_id: budget, max_budget: maxBudget });
        const since = Date.now();
        for (const k of keys) {
          const took = await until(() => chat(b, k), status, since);
          assert.ok(took < 1_000, `max_budget ${maxBudget} seen on B after ${took} ms`);
        }
      }
    });

    it("a member's budget in a team spent through A is enforced on B", async () => {
      const team = `team-member-${run}`;
      await admin(a, '/team/new', { team_id: team });
      await admin(a, '/team/member_add', {
        team_id: team,
        member: { role: 'user', user_id: `member-${run}` },
        max_budget_in_team: 0.3,
      });
      const k = await admin(a, '/key/generate', { team_id: team, user_id: `member-${run}` });
      assert.equal((await chat(a, k.key)).status, 200);
      assert.equal((await chat(a, k.key)).status, 200);
      // Once A has written the member's spend (and told the others), B's first call is refused: B never spent.
      for (;;) {
        const [row] = await sql<{ spend: number }>(
          db.url,
          'SELECT spend FROM team_memberships WHERE team_id = $1 AND user_id = $2',
          [team, `member-${run}`],
        );
        if (row && Number(row.spend) >= 0.3) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await chat(b, k.key)).status, 400);
    });

    it('a team budget spent through A is enforced on B', async () => {
      const team = `team-budget-${run}`;
      await admin(a, '/team/new', { team_id: team, max_budget: 0.3 });
      const k = await admin(a, '/key/generate', { team_id: team });
      assert.equal((await chat(a, k.key)).status, 200);
      assert.equal((await chat(a, k.key)).status, 200);
      await until(() => chat(b, k.key), 400, Date.now());
    });
  });
}
