import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { InProcessGateway } from '../support/gateway';
import { assertError, managementApi, waitFor, type ApiAnswer } from '../support/management-api';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import { chatCompletion, defaultAnswer, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-master-teams-limits-0001';
/** Each call costs 11 + 7 tokens at 0.01 = 0.18. */
const PRICE = 0.01;
const COST = 0.18;
const run = randomBytes(3).toString('hex');
const id = (name: string) => `${name}-${run}`;

describe('limits of teams, users and end users on every model call (PostgreSQL, Redis)', () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;
  const { api, ok } = managementApi(() => gw.url, MASTER);

  async function call(key: string, model = 'gpt-a', user?: string): Promise<ApiAnswer> {
    return api('POST', '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }], user }, key);
  }
  async function key(body: object): Promise<string> {
    return (await ok('POST', '/key/generate', body)).key as string;
  }

  before(async () => {
    const models = (upstream: string) =>
      ['gpt-a', 'gpt-b']
        .map(
          (m) => `  - model_name: ${m}
    litellm_params: { model: openai/${m}, api_base: ${upstream}, api_key: sk-upstream-limits }
    model_info: { input_cost_per_token: ${PRICE}, output_cost_per_token: ${PRICE} }`,
        )
        .join('\n');
    setup = await startProxy({
      database: 'gw_teams_limits',
      apiKey: MASTER,
      env: { REDIS_URL: 'redis://127.0.0.1:6379' },
      yaml: (upstream) => `model_list:\n${models(upstream)}\ngeneral_settings:\n  master_key: ${MASTER}\n`,
    });
    ({ up, gw } = setup);
  });
  after(() => setup?.close());
  beforeEach(() => up.respondWith(defaultAnswer));

  for (const kind of ['team', 'user', 'end user'] as const) {
    /** A key (and end user) belonging to a fresh object of this kind with `limits`. */
    async function subject(limits: object): Promise<{ key: string; user?: string; objectId: string }> {
      const objectId = id(`${kind.replace(' ', '-')}-${randomBytes(2).toString('hex')}`);
      if (kind === 'team') {
        await ok('POST', '/team/new', { team_id: objectId, ...limits });
        return { key: await key({ team_id: objectId }), objectId };
      }
      if (kind === 'user') {
        await ok('POST', '/user/new', { user_id: objectId, auto_create_key: false, ...limits });
        return { key: await key({ user_id: objectId }), objectId };
      }
      await ok('POST', '/customer/new', { user_id: objectId, ...limits });
      return { key: await key({}), user: objectId, objectId };
    }
    const block = (objectId: string, blocked: boolean) =>
      kind === 'team'
        ? ok('POST', blocked ? '/team/block' : '/team/unblock', { team_id: objectId })
        : kind === 'user'
          ? ok('POST', '/user/update', { user_id: objectId, blocked })
          : ok('POST', blocked ? '/customer/block' : '/customer/unblock', { user_ids: [objectId] });

    it(`a blocked ${kind} is refused (401) until unblocked`, async () => {
      const s = await subject({});
      assert.equal((await call(s.key, 'gpt-a', s.user)).status, 200);
      await block(s.objectId, true);
      assertError(await call(s.key, 'gpt-a', s.user), 401, { message: new RegExp(`${kind} .*blocked`, 'i') });
      await block(s.objectId, false);
      assert.equal((await call(s.key, 'gpt-a', s.user)).status, 200);
    });

    it(`a ${kind} with models may call only those (401 naming the model)`, async () => {
      const s = await subject({ models: ['gpt-a'] });
      assert.equal((await call(s.key, 'gpt-a', s.user)).status, 200);
      assertError(await call(s.key, 'gpt-b', s.user), 401, { message: /model=gpt-b/ });
    });

    it(`a ${kind} over max_budget is refused with 400 budget_exceeded`, async () => {
      const s = await subject({ max_budget: COST * 1.5 });
      assert.equal((await call(s.key, 'gpt-a', s.user)).status, 200);
      assert.equal((await call(s.key, 'gpt-a', s.user)).status, 200);
      const r = await call(s.key, 'gpt-a', s.user);
      // LiteLLM's wording per kind, which clients match on.
      const wording = {
        team: /^Budget has been exceeded! Team=\S+ Current cost: [\d.e-]+, Max budget: [\d.e-]+$/,
        user: /^ExceededBudget: User=\S+ over budget\. Spend=[\d.e-]+, Budget=[\d.e-]+$/,
        'end user': /^ExceededBudget: End User=\S+ over budget\. Spend=[\d.e-]+, Budget=[\d.e-]+$/,
      }[kind];
      assertError(r, 400, { code: 'budget_exceeded', message: wording });
    });

    it(`a ${kind} rpm_limit refuses with 429 and retry-after`, async () => {
      const s = await subject({ rpm_limit: 2 });
      assert.equal((await call(s.key, 'gpt-a', s.user)).status, 200);
      assert.equal((await call(s.key, 'gpt-a', s.user)).status, 200);
      const r = await call(s.key, 'gpt-a', s.user);
      assertError(r, 429, { message: new RegExp(`${kind}.*rpm_limit`, 'i') });
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
    });

    it(`a ${kind} tpm_limit refuses once its tokens are used`, async () => {
      const s = await subject({ tpm_limit: 10 });
      assert.equal((await call(s.key, 'gpt-a', s.user)).status, 200);
      await waitFor(async () => (await call(s.key, 'gpt-a', s.user)).status === 429, 3_000, 'tpm refusal');
    });

    it(`a ${kind} max_parallel_requests refuses a second call while one runs`, async () => {
      const s = await subject({ max_parallel_requests: 1 });
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      up.respondWith(async () => {
        await gate;
        return { json: chatCompletion('ok') };
      });
      const first = call(s.key, 'gpt-a', s.user);
      await waitFor(() => up.requests.length > 0, 3_000, 'first call upstream');
      assertError(await call(s.key, 'gpt-a', s.user), 429, { message: /max_parallel_requests/ });
      release();
      assert.equal((await first).status, 200);
    });
  }

  it('two keys of one team share its rpm_limit', async () => {
    const team = id('team-shared');
    await ok('POST', '/team/new', { team_id: team, rpm_limit: 3 });
    const [a, b] = [await key({ team_id: team }), await key({ team_id: team })];
    assert.equal((await call(a)).status, 200);
    assert.equal((await call(b)).status, 200);
    assert.equal((await call(a)).status, 200);
    assertError(await call(b), 429, { message: /team/ });
    assertError(await call(a), 429);
  });

  it('the key, its team, its user and its end user all pass, and each is charged', async () => {
    const team = id('team-all');
    const user = id('user-all');
    const cust = id('cust-all');
    await ok('POST', '/team/new', { team_id: team, max_budget: 10 });
    await ok('POST', '/user/new', { user_id: user, auto_create_key: false, max_budget: 10 });
    await ok('POST', '/customer/new', { user_id: cust, max_budget: 10 });
    const k = await ok('POST', '/key/generate', { team_id: team, user_id: user, max_budget: 10 });
    assert.equal((await call(k.key, 'gpt-a', cust)).status, 200);
    await waitFor(
      async () => (await ok('GET', `/team/info?team_id=${team}`)).team_info.spend > 0,
      5_000,
      'team spend written',
    );
    assert.ok(Math.abs((await ok('GET', `/team/info?team_id=${team}`)).team_info.spend - COST) < 1e-9);
    assert.ok(Math.abs((await ok('GET', `/user/info?user_id=${user}`)).user_info.spend - COST) < 1e-9);
    assert.ok(Math.abs((await ok('GET', `/customer/info?end_user_id=${cust}`)).spend - COST) < 1e-9);
    assert.ok(Math.abs((await ok('GET', `/key/info?key=${k.token}`)).info.spend - COST) < 1e-9);
    const unknown = id('cust-new');
    assert.equal((await call(k.key, 'gpt-a', unknown)).status, 200);
    await waitFor(
      async () => (await api('GET', `/customer/info?end_user_id=${unknown}`)).status === 200,
      5_000,
      'an end user seen first in a call is stored with its spend',
    );
  });

  it('budget periods of a few seconds: spend restarts at 0 and the next reset is exactly one period later', async () => {
    const team = id('team-period');
    const t = await ok('POST', '/team/new', { team_id: team, max_budget: COST * 1.5, budget_duration: '3s' });
    const k = await ok('POST', '/key/generate', { max_budget: COST * 1.5, budget_duration: '4s' });
    const teamKey = await key({ team_id: team });
    const firstTeamReset = Date.parse(t.budget_reset_at);
    assert.equal((await call(teamKey)).status, 200);
    assert.equal((await call(teamKey)).status, 200);
    assertError(await call(teamKey), 400, { code: 'budget_exceeded' });
    assert.equal((await call(k.key)).status, 200);
    assert.equal((await call(k.key)).status, 200);
    assertError(await call(k.key), 400, { code: 'budget_exceeded' });
    await waitFor(async () => (await call(teamKey)).status === 200, 8_000, 'team budget period reset');
    await waitFor(async () => (await call(k.key)).status === 200, 8_000, 'key budget period reset');
    const info = await ok('GET', `/team/info?team_id=${team}`);
    const next = Date.parse(info.team_info.budget_reset_at);
    assert.ok(next > Date.now() - 50, 'the reset time answered is in the future');
    assert.equal((next - firstTeamReset) % 3000, 0, 'periods follow each other exactly (no drift)');
    assert.ok(info.team_info.spend <= COST + 1e-9, 'spend counts the current period only');
    const keyInfo = await ok('GET', `/key/info?key=${k.token}`);
    assert.equal((Date.parse(keyInfo.info.budget_reset_at) - Date.parse(k.budget_reset_at)) % 4000, 0);
  });

  it("/team/info's keys are in their current period, as /key/info answers the same key", async () => {
    const team = id('team-key-period');
    await ok('POST', '/team/new', { team_id: team });
    const k = await ok('POST', '/key/generate', { team_id: team, max_budget: 10, budget_duration: '3s' });
    assert.equal((await call(k.key)).status, 200);
    const nested = async () =>
      (await ok('GET', `/team/info?team_id=${team}`)).keys.find((x: { token: string }) => x.token === k.token);
    await waitFor(async () => (await nested()).spend > 0, 2_500, 'key spend written within its first period');
    // No call with the key meanwhile: only the read ends the period.
    await new Promise((r) => setTimeout(r, Date.parse(k.budget_reset_at) - Date.now() + 200));
    const inTeam = await nested();
    assert.ok(Date.parse(inTeam.budget_reset_at) > Date.now(), `a future period end, not ${inTeam.budget_reset_at}`);
    assert.equal(inTeam.spend, 0);
    const own = (await ok('GET', `/key/info?key=${k.token}`)).info;
    assert.equal(inTeam.budget_reset_at, own.budget_reset_at);
    assert.equal(own.spend, 0);
  });

  /** The public /metrics count of soft budgets crossed by objects of this kind. */
  async function crossings(kind: string): Promise<number> {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`gateway_soft_budget_crossings_total{kind="${kind}"} `));
    assert.ok(line, `gateway_soft_budget_crossings_total{kind="${kind}"} on /metrics`);
    return Number(line.split(' ')[1]);
  }

  it('soft_budget never refuses: one warning line per period, visible in /team/info and /metrics', async () => {
    const team = id('team-soft');
    const before = await crossings('team');
    await ok('POST', '/team/new', { team_id: team, soft_budget: COST * 1.5 });
    const k = await key({ team_id: team });
    for (let i = 0; i < 4; i++) assert.equal((await call(k)).status, 200);
    await waitFor(
      async () => (await ok('GET', `/team/info?team_id=${team}`)).team_info.soft_budget_cooldown === true,
      5_000,
      'soft budget crossing recorded',
    );
    for (let i = 0; i < 2; i++) assert.equal((await call(k)).status, 200);
    await new Promise((r) => setTimeout(r, 1_500));
    const warnings = gw.logs.lines.filter((l) => l.includes('soft_budget') && l.includes(team));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /"level":"warn"/);
    assert.equal(await crossings('team'), before + 1, 'one crossing per period on /metrics');
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    assert.ok(!text.includes(team), 'the public /metrics names no team');
  });

  it("a key's soft_budget: the call is not refused, one warning line, the metric counts the key", async () => {
    const before = await crossings('key');
    const k = await ok('POST', '/key/generate', { soft_budget: COST * 1.5 });
    for (let i = 0; i < 4; i++) assert.equal((await call(k.key)).status, 200);
    await waitFor(async () => (await crossings('key')) === before + 1, 5_000, 'key crossing on /metrics');
    await new Promise((r) => setTimeout(r, 1_000));
    const warnings = gw.logs.lines.filter((l) => l.includes('soft_budget crossed') && l.includes(k.token));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.equal(await crossings('key'), before + 1);
    assert.equal((await ok('GET', `/key/info?key=${k.token}`)).info.soft_budget_cooldown, true);
  });
});
