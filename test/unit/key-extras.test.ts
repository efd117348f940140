import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyExtras } from '../../src/keys/key-extras';

describe('key extras: the LiteLLM key fields that act, read from what was stored', () => {
  it('model_max_budget: a number, {budget_limit} as a number, or as text (as LiteLLM docs send it), or {max_budget}', () => {
    const e = keyExtras({
      model_max_budget: {
        a: 2,
        b: { budget_limit: 0.5, time_period: '1d' },
        c: { budget_limit: '0.0000001', time_period: '1d' },
        d: { budget_limit: 'lots' },
        e: { max_budget: '0.25', budget_duration: '1d' },
      },
    });
    assert.deepEqual(
      [...(e.modelMaxBudget ?? [])],
      [
        ['a', 2],
        ['b', 0.5],
        ['c', 0.0000001],
        ['e', 0.25],
      ],
    );
  });
});
