import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParsedKeys } from '../../src/keys/cache/parsed-keys';

/** A cache of at most `max` and the entries it let go of for room, as [token, value, row]. */
function cache(max: number) {
  const evicted: [string, number, number][] = [];
  const c = new ParsedKeys<number>(max, (value, token, row) => evicted.push([token, value, row]));
  return { c, evicted };
}

describe('parsed keys: a bounded cache with second-chance eviction', () => {
  it('holds at most its bound, letting go of one not used since the hand last passed, with its row', () => {
    const { c, evicted } = cache(3);
    c.set('a', 1, 10);
    c.set('b', 2, 20);
    c.set('c', 3, 30);
    assert.equal(c.get('a'), 1); // used: passed over once
    c.set('d', 4, 40);
    assert.deepEqual(evicted, [['b', 2, 20]]);
    assert.deepEqual([c.size, c.peek('a'), c.peek('b'), c.peek('d')], [3, 1, undefined, 4]);
    c.set('e', 5, 50);
    c.set('f', 6, 60);
    // The hand cleared a's mark as it passed: a goes once the unused entries before it have.
    assert.deepEqual(evicted, [
      ['b', 2, 20],
      ['c', 3, 30],
      ['a', 1, 10],
    ]);
    assert.deepEqual([c.peek('d'), c.peek('e'), c.peek('f')], [4, 5, 6]);
  });

  it('a key read again and again stays while others come and go', () => {
    const { c, evicted } = cache(4);
    for (let i = 0; i < 1_000; i++) {
      c.set(`k${i}`, i, i);
      assert.equal(c.get('hot') ?? (c.set('hot', -1, -1), -1), -1);
    }
    assert.equal(c.size, 4);
    assert.equal(evicted.filter(([t]) => t === 'hot').length, 0);
  });

  it('peek does not mark an entry used', () => {
    const { c, evicted } = cache(2);
    c.set('a', 1, 1);
    c.set('b', 2, 2);
    c.peek('a');
    c.set('c', 3, 3);
    assert.deepEqual(evicted, [['a', 1, 1]]);
  });

  it('replacing, deleting and clearing let nothing go for room; a deleted entry’s room is used first', () => {
    const { c, evicted } = cache(2);
    c.set('a', 1, 1);
    c.set('b', 2, 2);
    c.set('a', 10, 11);
    assert.deepEqual([c.size, c.get('a')], [2, 10]);
    c.delete('b');
    c.delete('missing');
    c.set('c', 3, 3);
    assert.deepEqual([c.size, c.peek('b'), c.peek('c'), evicted], [2, undefined, 3, []]);
    c.set('d', 4, 4); // full again: a (used) is passed over, c goes
    assert.deepEqual(evicted, [['c', 3, 3]]);
    c.clear();
    assert.deepEqual([c.size, c.get('a'), c.get('d'), evicted.length], [0, undefined, undefined, 1]);
    for (let i = 0; i < 5; i++) c.set(`n${i}`, i, i);
    assert.deepEqual([c.size, evicted.length], [2, 4]);
  });

  it('grows its marks past their first room', () => {
    const { c, evicted } = cache(1_000);
    for (let i = 0; i < 1_000; i++) c.set(`k${i}`, i, i);
    for (let i = 0; i < 1_000; i += 2) c.get(`k${i}`);
    for (let i = 0; i < 500; i++) c.set(`n${i}`, i, i);
    assert.equal(c.size, 1_000);
    assert.ok(evicted.every(([t]) => Number(t.slice(1)) % 2 === 1 && t.startsWith('k')));
    assert.equal(evicted.length, 500);
  });
});
