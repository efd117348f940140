import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { counterIds } from '../../src/common/ids/counter-ids';

/**
 * The gateway's request ids and spend log row ids sort, as bytes (the spend log's indexes compare them so), in the
 * order they are made, across the counts where a base-36 counter from 1 grows a digit: each new id goes at the end
 * of an index rather than among the ids before it.
 */
describe('counter ids', () => {
  it('sort as bytes in the order they are made, at one width, past where a counter from 1 grows a digit', () => {
    const next = counterIds('a1b2c3d4-');
    const ids = Array.from({ length: 50_000 }, next);
    const sorted = [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(sorted, ids);
    assert.equal(new Set(ids.map((id) => id.length)).size, 1);
    assert.match(ids[0], /^a1b2c3d4-[0-9a-z]{6}$/);
  });

  it('are unique per generator', () => {
    const next = counterIds('p');
    assert.notEqual(next(), next());
  });
});
