import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startGateway, type InProcessGateway } from '../support/gateway';
import { managementApi, waitFor } from '../support/management-api';
import { oneModelYaml, startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-period-instances-01';
/** Each call costs 11 + 7 tokens at 0.01 = 0.18. */
const COST = 0.18;
const run = randomBytes(3).toString('hex');

/**
 * A new budget period seen by two instances sharing Redis: the spend of the calls made before an instance learned
 * the period's end from the database still counts once it has.
 */
describe('budget periods across two instances (PostgreSQL, Redis)', () => {
  let setup: ProxyOnDatabase | undefined;
  let a: InProcessGateway;
  let b: InProcessGateway | undefined;
  const api = (gw: () => InProcessGateway) => managementApi(() => gw().url, MASTER);

  before(async () => {
    const env = { REDIS_URL: 'redis://127.0.0.1:6379' };
    const yaml = (up: string) => oneModelYaml(MASTER, up, { input_cost_per_token: 0.01, output_cost_per_token: 0.01 });
    setup = await startProxy({ database: 'gw_period_instances', apiKey: MASTER, env, yaml });
    a = setup.gw;
    b = await startGateway(yaml(setup.up.url), { ...env, DATABASE_URL: setup.db.url });
  });
  after(async () => {
    await b?.close();
    await setup?.close();
  });

  /** A model call with `key` on one instance: its status. */
  const call = async (gw: InProcessGateway, key: string) =>
    (
      await api(() => gw).api(
        'POST',
        '/v1/chat/completions',
        { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
        key,
      )
    ).status;

  /**
   * Calls with a key whose budget (its own, or its team's, user's or membership's) holds one call and a half per period
   * of 2 s: the period after the first counts the calls of both instances together.
   */
  async function oneBudgetOnTwoInstances(key: string): Promise<void> {
    // Both instances hold the budget (and its period) before it ends.
    assert.equal(await call(a, key), 200);
    assert.equal(await call(b!, key), 200);
    assert.equal(await call(a, key), 400);
    await waitFor(async () => (await call(b!, key)) === 200, 6_000, 'the next period on B');
    // B made the period's first call; A has not learned the new period yet.
    assert.equal(await call(a, key), 200, 'the second call of the period');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await call(a, key), 400, 'a third call: the period holds 2 calls already');
    assert.equal(await call(b!, key), 400);
  }

  it("a team's new period counts the calls of every instance: none admits a call past max_budget", async () => {
    const team = `team-period-${run}`;
    const { ok } = api(() => a);
    await ok('POST', '/team/new', { team_id: team, max_budget: COST * 1.5, budget_duration: '2s' });
    await oneBudgetOnTwoInstances((await ok('POST', '/key/generate', { team_id: team })).key as string);
  });

  it("a team member's new period counts the calls of every instance too", async () => {
    const team = `team-member-period-${run}`;
    const { ok } = api(() => a);
    await ok('POST', '/team/new', { team_id: team });
    await ok('POST', '/team/member_add', {
      team_id: team,
      member: { role: 'user', user_id: `mia-${run}` },
      max_budget_in_team: COST * 1.5,
    });
    await ok('POST', '/team/member_update', { team_id: team, user_id: `mia-${run}`, budget_duration: '2s' });
    await oneBudgetOnTwoInstances(
      (await ok('POST', '/key/generate', { team_id: team, user_id: `mia-${run}` })).key as string,
    );
  });

  it("a key's new period counts the calls of every instance too", async () => {
    const { ok } = api(() => a);
    await oneBudgetOnTwoInstances(
      (await ok('POST', '/key/generate', { max_budget: COST * 1.5, budget_duration: '2s' })).key as string,
    );
  });
});
