import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClockCache } from '../../src/common/cache/clock-cache';

describe('ClockCache: a bounded map letting go of entries not read lately', () => {
  it('holds at most its bound, letting go of an entry not read since it came before one read', () => {
    const evicted: string[] = [];
    const c = new ClockCache<string, number>(3, (k) => evicted.push(k));
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3);
    assert.equal(c.get('a'), 1);
    c.set('d', 4);
    assert.deepEqual([...c.keys()].sort(), ['a', 'c', 'd']);
    assert.deepEqual(evicted, ['b']);
    for (let i = 0; i < 100; i++) c.set(`k${i}`, i);
    assert.equal(c.size, 3);
    assert.equal(evicted.length, 101);
    assert.equal(c.get('k99'), 99);
  });

  it('keeps the entries read all along while a stream of new ones passes through', () => {
    const c = new ClockCache<string, number>(100);
    const hot = Array.from({ length: 50 }, (_, i) => `hot${i}`);
    for (const k of hot) c.set(k, 1);
    for (let i = 0; i < 10_000; i++) {
      c.set(`cold${i}`, i);
      c.get(hot[i % hot.length]);
    }
    assert.equal(c.size, 100);
    assert.deepEqual(
      hot.filter((k) => !c.has(k)),
      [],
    );
  });

  it('peek is not a use; a replaced value is kept in place; delete frees a slot filled before any eviction', () => {
    const evicted: string[] = [];
    const c = new ClockCache<string, string>(2, (k, v) => evicted.push(`${k}=${v}`));
    c.set('a', 'x');
    c.set('b', 'y');
    assert.equal(c.peek('a'), 'x');
    c.set('b', 'y2');
    c.set('c', 'z'); // a: neither read nor replaced since it came
    assert.deepEqual(evicted, ['a=x']);
    assert.equal(c.delete('b'), true);
    assert.equal(c.delete('b'), false);
    c.set('d', 'w');
    assert.deepEqual(evicted, ['a=x']);
    assert.deepEqual([c.size, c.peek('b'), c.get('c'), c.get('d')], [2, undefined, 'z', 'w']);
    c.clear();
    assert.deepEqual([c.size, c.get('c')], [0, undefined]);
    c.set('e', 'v');
    assert.equal(c.get('e'), 'v');
  });

  it('takes memory as entries arrive, not for its bound', () => {
    const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const before = used();
    const kept = Array.from({ length: 10 }, () => new ClockCache<string, number>(100_000_000));
    assert.ok((used() - before) / 1048576 < 2, `${((used() - before) / 1048576).toFixed(1)} MiB for 10 empty caches`);
    kept[0].set('a', 1);
    assert.equal(kept[0].get('a'), 1);
    assert.throws(() => new ClockCache(0), RangeError);
  });
});
