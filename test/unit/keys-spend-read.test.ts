import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { KeysRepository } from '../../src/keys/keys.repository';
import { SpendWriter } from '../../src/keys/spend/spend-writer.service';

/** A spend store in memory whose writes commit when the test says so (or at once). */
class FakeStore {
  spend = 0;
  private release: (() => void) | null = null;
  autoCommit = false;

  readonly repo = {
    addSpend: (_id: string, keys: ReadonlyMap<string, number>) =>
      new Promise((resolve) => {
        const commit = () => {
          this.spend += keys.get('t') ?? 0;
          resolve({ applied: true, keys: new Map([['t', this.spend]]), teams: new Map() });
        };
        if (this.autoCommit) commit();
        else this.release = commit;
      }),
  } as unknown as KeysRepository;

  commit(): void {
    this.release?.();
    this.release = null;
  }
}

const silent = pino({ level: 'silent' });

describe('spend read from the database plus what is not written yet', () => {
  it('a read that would overlap a running write waits for it: counted once, not lost', async () => {
    const store = new FakeStore();
    const writer = new SpendWriter(store.repo, silent);
    writer.add('t', null, 1.2);
    const writing = writer.flush(); // in flight, not committed
    const read = writer.readConsistent(async () => store.spend);
    await new Promise((r) => setImmediate(r));
    store.commit();
    await writing;
    assert.equal((await read) + writer.unflushed('t'), 1.2);
  });

  it('a read during which a write started and committed is read again', async () => {
    const store = new FakeStore();
    store.autoCommit = true;
    const writer = new SpendWriter(store.repo, silent);
    writer.add('t', null, 1.2);
    let reads = 0;
    const value = await writer.readConsistent(async () => {
      reads++;
      const snapshot = store.spend; // the row as the read saw it
      if (reads === 1) await writer.flush(); // ...then a write committed before the read's answer arrived
      return snapshot;
    });
    assert.equal(reads, 2);
    assert.equal(value + writer.unflushed('t'), 1.2);
  });
});
