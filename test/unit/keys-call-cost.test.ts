import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallReport } from '../../src/proxy/call-accounting';
import type { AccessObjects } from '../../src/keys/access/access-objects.service';
import { CallAdmission } from '../../src/keys/accounting/call-admission';
import type { CachedKey } from '../../src/keys/cached-key';
import type { KeyCache } from '../../src/keys/key-cache.service';
import type { SpendWriter } from '../../src/keys/spend/spend-writer.service';

describe("a call's cost on its key", () => {
  it('is counted once when the key is parsed again as the call ends (its copy counts what is not yet written)', () => {
    let unflushed = 0;
    const spend = {
      add: (_token: string, _team: string | null, cost: number) => void (unflushed += cost),
      addModel: () => undefined,
    } as unknown as SpendWriter;
    // The key's parsed copy was let go of during the call: each read parses it again, from its row (spend 4) and
    // what this instance recorded and has not written yet.
    let copy: { spend: number; modelSpend: null } | undefined;
    const cache = { get: () => (copy = { spend: 4 + unflushed, modelSpend: null }) } as unknown as KeyCache;
    const key = { token: 'k', modelSet: null, extras: { tags: null, modelMaxBudget: null } } as unknown as CachedKey;
    const owners = { key, teamId: null, userId: null, endUserId: null, team: undefined, user: undefined };
    const call = new CallAdmission(
      cache,
      {} as AccessObjects,
      spend,
      { ...owners, end: undefined, member: null },
      null,
      'gpt',
    );
    call.done({ promptTokens: 3, completionTokens: 4, cost: 1, modelGroup: 'gpt' } as CallReport);
    assert.equal(copy?.spend, 5);
    assert.equal(unflushed, 1);
  });
});
