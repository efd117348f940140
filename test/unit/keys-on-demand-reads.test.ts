import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OnDemandReads } from '../../src/keys/cache/on-demand-reads';

/** A read that ends when the test says so. */
function gatedReads() {
  let started = 0;
  const ends: (() => void)[] = [];
  const reads = new OnDemandReads(() => {
    started++;
    return new Promise<void>((resolve) => ends.push(resolve));
  });
  return { reads, started: () => started, end: () => ends.shift()?.() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('on-demand reads of the key change log', () => {
  it('callers arriving together share one read; those arriving while it runs share the next', async () => {
    const g = gatedReads();
    const first = [g.reads.after(), g.reads.after(), g.reads.after()];
    await tick();
    assert.equal(g.started(), 1);
    const second = [g.reads.after(), g.reads.after()];
    await tick();
    assert.equal(g.started(), 1, 'the next read waits for the running one');
    g.end();
    assert.deepEqual(await Promise.all(first), [true, true, true]);
    await tick();
    assert.equal(g.started(), 2);
    g.end();
    assert.deepEqual(await Promise.all(second), [true, true]);
  });

  it('past ten reads, a caller is answered at once with no read', async () => {
    const g = gatedReads();
    for (let i = 0; i < 10; i++) {
      const p = g.reads.after();
      await tick();
      g.end();
      assert.equal(await p, true);
    }
    assert.equal(await g.reads.after(), false);
    assert.equal(g.started(), 10);
    await new Promise((r) => setTimeout(r, 120));
    const p = g.reads.after();
    await tick();
    g.end();
    assert.equal(await p, true, 'a read a tenth of a second later');
  });
});
