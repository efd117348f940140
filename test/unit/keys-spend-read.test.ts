import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { Caller } from '../../src/auth/caller';
import type { ObjectChanges } from '../../src/keys/access/object-changes.service';
import type { AccessObjects } from '../../src/keys/access/access-objects.service';
import type { GatewayConfig } from '../../src/config/gateway-config';
import type { KeyEventsService } from '../../src/keys/invalidation/key-events.service';
import type { BudgetsRepository } from '../../src/keys/budgets/budgets.repository';
import type { KeyCache } from '../../src/keys/key-cache.service';
import { KeyViews } from '../../src/keys/key-views.service';
import type { KeyRow, KeysRepository } from '../../src/keys/keys.repository';
import { KeysService } from '../../src/keys/keys.service';
import { SpendWriter } from '../../src/keys/spend/spend-writer.service';
import type { TeamsRepository } from '../../src/keys/teams/teams.repository';
import { keyRecord } from '../support/auth-probe';

/** A spend store in memory whose writes commit when the test says so (or at once). */
class FakeStore {
  spend = 0;
  private release: (() => void) | null = null;
  autoCommit = false;

  readonly repo = {
    addSpend: (_id: string, keys: ReadonlyMap<string, number>) =>
      new Promise((resolve) => {
        const commit = () => {
          for (const amount of keys.values()) this.spend += amount;
          resolve({ applied: true, keys: new Map([...keys.keys()].map((k) => [k, this.spend])), teams: new Map() });
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
const EVERY_SECOND = {
  spend: { writeIntervalMs: 1000, logs: true, retentionMs: null, retentionIntervalMs: 86_400_000 },
};

describe('spend read from the database plus what is not written yet', () => {
  it('a read that would overlap a running write waits for it: counted once, not lost', async () => {
    const store = new FakeStore();
    const writer = new SpendWriter(store.repo, silent, EVERY_SECOND);
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
    const writer = new SpendWriter(store.repo, silent, EVERY_SECOND);
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

  it('a key change answers, and caches, the spend of a write that committed while the change ran', async () => {
    const token = 'a'.repeat(64);
    const store = new FakeStore();
    const row = (spend: number) =>
      ({
        ...keyRecord(token, { spend }),
        createdAt: new Date(),
        updatedAt: new Date(),
        createdBy: 'master_key',
        updatedBy: 'master_key',
      }) as unknown as KeyRow;
    const writer = new SpendWriter(store.repo, silent, EVERY_SECOND);
    writer.add(token, null, 1.2);
    const writing = writer.flush(); // a spend write in flight...
    const repo = {
      ...store.repo,
      // ...the UPDATE reads the row before that write commits, and returns after it has
      update: async () => {
        const before = row(store.spend);
        store.commit();
        await writing;
        return before;
      },
      findByToken: async () => row(store.spend),
    } as unknown as KeysRepository;
    const cached: KeyRow[] = [];
    const cache = { put: (r: KeyRow) => void cached.push(r), drop: () => undefined } as unknown as KeyCache;
    const events = { publish: () => undefined } as unknown as KeyEventsService;
    const changes = { forgetKeys: () => undefined } as unknown as ObjectChanges;
    const views = new KeyViews(writer, { findMany: async () => [] } as unknown as BudgetsRepository, repo);
    const keys = new KeysService(
      repo,
      cache,
      writer,
      events,
      {} as GatewayConfig,
      changes,
      views,
      {} as AccessObjects,
      {} as TeamsRepository,
    );
    const view = await keys.update({ key: token, key_alias: 'renamed' }, { role: 'master' } as Caller);
    assert.equal(view.spend, 1.2);
    assert.equal(cached.at(-1)?.spend, 1.2, 'the key cache (budget checks) gets the settled spend too');
  });
});
