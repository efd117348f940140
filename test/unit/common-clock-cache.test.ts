import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClockCache } from '../../src/common/cache/clock-cache';

describe('ClockCache', () => {
  it('holds at most max entries; when full, an entry read since the hand passed survives and an unread one goes', () => {
    const c = new ClockCache<string, number>(3);
    c.set('a', 1).set('b', 2).set('c', 3);
    c.set('d', 4); // every entry was marked by its write: the hand clears a, b, c, then evicts a
    assert.equal(c.size, 3);
    assert.equal(c.peek('a'), undefined);
    c.get('b'); // b read again: c, unread since the hand cleared it, goes next
    c.set('e', 5);
    assert.deepEqual(
      ['a', 'b', 'c', 'd', 'e'].map((k) => c.has(k)),
      [false, true, false, true, true],
    );
  });

  it('peek does not mark; set of a held key replaces its value in place', () => {
    const c = new ClockCache<string, number>(2);
    c.set('a', 1).set('b', 2);
    c.set('x', 0); // clears both marks, evicts a
    c.peek('b');
    c.set('y', 0); // b unmarked (peek): evicted
    assert.equal(c.has('b'), false);
    c.set('x', 9);
    assert.equal(c.get('x'), 9);
    assert.equal(c.size, 2);
  });

  it('a deleted entry frees its slot for the next one, evicting nothing', () => {
    const c = new ClockCache<string, number>(2);
    c.set('a', 1).set('b', 2);
    assert.equal(c.delete('a'), true);
    assert.equal(c.delete('a'), false);
    c.set('c', 3);
    assert.deepEqual([c.get('b'), c.get('c'), c.size], [2, 3, 2]);
    c.clear();
    assert.equal(c.size, 0);
    c.set('d', 4);
    assert.equal(c.get('d'), 4);
  });

  it('agrees with a Map on every value it holds, never exceeds max, and keeps what was just written', () => {
    const op = fc.oneof(
      fc.tuple(fc.constant('set' as const), fc.integer({ min: 0, max: 20 }), fc.integer()),
      fc.tuple(fc.constant('get' as const), fc.integer({ min: 0, max: 20 }), fc.constant(0)),
      fc.tuple(fc.constant('delete' as const), fc.integer({ min: 0, max: 20 }), fc.constant(0)),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 200 }), (max, ops) => {
        const c = new ClockCache<number, number>(max);
        const model = new Map<number, number>();
        for (const [kind, k, v] of ops) {
          if (kind === 'set') {
            c.set(k, v);
            model.set(k, v);
            assert.equal(c.peek(k), v);
          } else if (kind === 'delete') {
            c.delete(k);
            model.delete(k);
          } else {
            const got = c.get(k);
            if (got !== undefined) assert.equal(got, model.get(k));
          }
          assert.ok(c.size <= max);
          for (let key = 0; key <= 20; key++) if (c.has(key)) assert.equal(c.peek(key), model.get(key));
        }
      }),
    );
  });

  it('refuses a bound below one', () => {
    assert.throws(() => new ClockCache(0), RangeError);
  });
});
