import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GatewayConfig } from '../../src/config/gateway-config';
import { SOFT_BUDGET_METRIC, SoftBudgetCrossings } from '../../src/keys/access/soft-budget-crossings';

const crossings = (requireAuth: boolean) =>
  new SoftBudgetCrossings({ metrics: { requireAuth } } as unknown as GatewayConfig);
const series = (c: SoftBudgetCrossings) => {
  const out: string[] = [];
  c.render(out);
  return out.filter((l) => l.startsWith(SOFT_BUDGET_METRIC));
};

describe('soft budget crossings on /metrics', () => {
  it('public /metrics: a count per kind of object, every kind shown, no object named', () => {
    const c = crossings(false);
    c.crossed('team', 'team-1');
    c.crossed('team', 'team-2');
    c.crossed('key', 'hash-1');
    assert.deepEqual(series(c), [
      `${SOFT_BUDGET_METRIC}{kind="key"} 1`,
      `${SOFT_BUDGET_METRIC}{kind="team"} 2`,
      `${SOFT_BUDGET_METRIC}{kind="user"} 0`,
      `${SOFT_BUDGET_METRIC}{kind="end_user"} 0`,
    ]);
  });

  it("authenticated /metrics: a series per object, with LiteLLM's label for its id", () => {
    const c = crossings(true);
    c.crossed('team', 'team-1');
    c.crossed('team', 'team-1');
    c.crossed('key', 'hash-1');
    c.crossed('user', 'u"1');
    c.crossed('end_user', 'cust');
    assert.deepEqual(series(c), [
      `${SOFT_BUDGET_METRIC}{kind="team",team="team-1"} 2`,
      `${SOFT_BUDGET_METRIC}{kind="key",hashed_api_key="hash-1"} 1`,
      `${SOFT_BUDGET_METRIC}{kind="user",user="u\\"1"} 1`,
      `${SOFT_BUDGET_METRIC}{kind="end_user",end_user="cust"} 1`,
    ]);
  });
});
