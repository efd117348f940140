import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LRUCache } from 'lru-cache';
import { boundedLru } from '../../src/common/cache/bounded-lru';

/** Heap plus ArrayBuffer memory (lru-cache's index arrays are typed arrays) taken by `make()` called n times. */
function footprintMiB(n: number, make: () => unknown): number {
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const before = used();
  const kept: unknown[] = [];
  for (let i = 0; i < n; i++) kept.push(make());
  const after = used();
  assert.equal(kept.length, n);
  return (after - before) / 1048576;
}

describe('bounded LRU caches', () => {
  it('hold at most their bound, dropping the least recently used (a read counts as a use)', () => {
    const c = boundedLru<string, number>(3);
    c.set('a', 1).set('b', 2).set('c', 3);
    assert.equal(c.get('a'), 1);
    c.set('d', 4);
    assert.deepEqual([...c.keys()].sort(), ['a', 'c', 'd']);
    for (let i = 0; i < 100; i++) c.set(`k${i}`, i);
    assert.equal(c.size, 3);
    assert.equal(c.get('k99'), 99);
  });

  it('keep per-entry TTLs', async () => {
    // The default TTL is far beyond the wait: a loaded machine's late timer cannot expire it.
    const c = boundedLru<string, number>(10, { ttl: 60_000 });
    c.set('short', 1, { ttl: 1 });
    c.set('long', 2);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(c.get('short'), undefined);
    assert.equal(c.get('long'), 2);
  });

  it('take memory as entries arrive, not for their bound up front (lru-cache with `max` does)', () => {
    const preallocated = footprintMiB(10, () => new LRUCache<string, number>({ max: 100_000 }));
    const bounded = footprintMiB(10, () => boundedLru<string, number>(100_000));
    assert.ok(
      preallocated > 20,
      `the check can see preallocation: ${preallocated.toFixed(1)} MiB for 10 caches with max`,
    );
    assert.ok(bounded < 2, `${bounded.toFixed(1)} MiB for 10 empty bounded caches of 100,000`);
  });
});
