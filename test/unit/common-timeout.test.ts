import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settledWithin, withTimeout } from '../../src/common/time/timeout';

const after = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));

describe('timeout helpers', () => {
  it('withTimeout passes the value on in time and rejects naming what was late', async () => {
    assert.equal(await withTimeout(after(1, 'ok'), 200, 'x'), 'ok');
    await assert.rejects(withTimeout(after(200, 'late'), 5, 'the database'), /the database did not answer within 5 ms/);
  });

  it('settledWithin says whether the work finished in time, false at once for no time left', async () => {
    assert.equal(await settledWithin(after(1, null), 200), true);
    assert.equal(await settledWithin(after(200, null), 5), false);
    assert.equal(await settledWithin(Promise.resolve(), 0), false);
  });
});
