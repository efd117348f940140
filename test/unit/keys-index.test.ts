import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { GatewayConfig } from '../../src/config/gateway-config';
import type { KeyEventHandlers, KeyEventsService } from '../../src/keys/invalidation/key-events.service';
import type { KeySource, KeyStore } from '../../src/keys/cache/key-store';
import { KeyTable } from '../../src/keys/cache/key-table';
import { KeyCache } from '../../src/keys/key-cache.service';
import type { KeysRepository } from '../../src/keys/keys.repository';
import type { SpendWriter } from '../../src/keys/spend/spend-writer.service';
import { copyBytes, hex, indexOf } from '../support/copy-rows';

const spend = {
  readConsistent: <R>(fn: () => Promise<R>) => fn(),
  unflushed: () => 0,
  unflushedModel: () => 0,
  onFlushed: () => undefined,
} as unknown as SpendWriter;

describe('key index: the bulk load keys, as read, parsed on first use', () => {
  it('finds each of many keys once (hex hashes sharing their first bytes, and hand-made tokens), across chunks', () => {
    const tokens = [...Array.from({ length: 5_000 }, (_, i) => hex(i)), 'hand-made ü', 'x'];
    for (const size of [1 << 16, 7]) {
      const index = indexOf(
        tokens.map((token) => ({ token })),
        size,
      );
      assert.ok(index.ended);
      assert.deepEqual([...index.tokens(0, index.entries)], tokens);
      assert.equal(index.size, tokens.length);
      for (const token of tokens) {
        assert.ok(index.has(token), token);
        assert.equal(index.read(token)?.keyName, `sk-...${token.slice(-4)}`);
        assert.equal(index.read(token)?.keyName, `sk-...${token.slice(-4)}`, 'kept: parsed again on request');
      }
      assert.equal(index.size, tokens.length);
      for (const token of tokens) index.invalidate(token);
      assert.equal(index.size, 0);
      assert.equal(index.read(tokens[0]), undefined, 'let go of');
      assert.equal(index.read(hex(5_001)), undefined);
    }
  });

  it('holds only the rows its bound leaves room for, and lets go of changed keys', () => {
    const index = indexOf([{ token: hex(1) }, { token: hex(2) }, { token: hex(3) }], 1 << 16, 2);
    assert.deepEqual([index.entries, index.over, index.has(hex(3))], [2, true, false]);
    index.invalidate(hex(1));
    assert.equal(index.read(hex(1)), undefined);
    assert.deepEqual([index.size, index.has(hex(2))], [1, true]);
  });

  it('reads every column of a row', () => {
    const row: KeySource = {
      token: hex(7),
      keyName: 'sk-...full',
      keyAlias: 'al',
      models: ['gpt-4o', 'ü'],
      allowedRoutes: ['/chat/completions'],
      expires: new Date(1800000000123),
      maxBudget: Infinity,
      spend: 0.5,
      rpmLimit: 5,
      tpmLimit: 6,
      maxParallelRequests: 7,
      metadata: { a: null },
      teamId: 't',
      userId: 'u',
      blocked: true,
      extra: { aliases: { x: 'y' } },
      modelSpend: { g: 1 },
      budgetResetAt: new Date(1900000000000),
      changeSeq: 42,
      budgetDuration: '30d',
    };
    assert.deepEqual(indexOf([row], 5).read(hex(7)), row);
  });

  it('reads times before and after 2000 to the millisecond, and float8s of every sign and size', () => {
    const times = [new Date('1999-12-31T23:59:59.999Z'), new Date(-1e12 + 7), new Date(0), new Date(4e12 + 1)];
    const spends = [0, -0.1, 1e-300, 1.7e308, -Infinity, 123456.789];
    const rows = times.map((t, i) => ({
      token: hex(i),
      expires: t,
      budgetResetAt: t,
      spend: spends[i],
      maxBudget: spends[i + 2],
    }));
    const index = indexOf(rows, 3);
    for (const [i, t] of times.entries()) {
      const r = index.read(hex(i))!;
      assert.deepEqual([r.expires, r.budgetResetAt, r.spend, r.maxBudget], [t, t, spends[i], spends[i + 2]], `${i}`);
    }
  });

  it('a held key let go of for room is not served again from what the bulk load read of it', () => {
    const t = new KeyTable(2, spend);
    t.index = indexOf([{ token: hex(1) }]);
    t.complete = true;
    // Held meanwhile (read apart while the load ran): newer than the COPY's copy.
    t.hold(t.cached(rowOf(hex(1), 'newer')));
    t.hold(t.cached(rowOf(hex(2))));
    t.hold(t.cached(rowOf(hex(3)))); // lets hex(1) go
    assert.equal(t.held.peek(hex(1)), undefined);
    assert.equal(t.fromIndex(hex(1)), undefined);
    assert.equal(t.complete, false, 'a key let go of: not every key is held');
  });

  it('keeps at most its bound of keys parsed, parsing the others again from the index on use', () => {
    const t = new KeyTable(1_000, spend, 3);
    t.index = indexOf(Array.from({ length: 50 }, (_, i) => ({ token: hex(i), keyName: `k${i}` })));
    t.complete = true;
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 50; i++) assert.equal(t.lookup(hex(i))?.keyName, `k${i}`);
    assert.deepEqual([t.parsed.size, t.held.size, t.index.size], [3, 0, 50]);
    assert.ok(t.complete, 'a parsed key let go of is still held, as read');
    // A key in use stays parsed: the same record serves it.
    assert.equal(t.lookup(hex(49)), t.lookup(hex(49)));
    // What a parsed copy learned of its spend (its calls' costs, written since) outlives it.
    t.lookup(hex(7))!.spend += 0.25;
    for (let i = 10; i < 20; i++) t.lookup(hex(i));
    assert.equal(t.parsed.peek(hex(7)), undefined, 'let go of');
    assert.equal(t.lookup(hex(7))?.spend, 0.25);
  });

  it('holds a key with a budget as a record from its first use (its spend is checked and learned)', () => {
    const t = new KeyTable(1_000, spend, 1);
    t.index = indexOf([{ token: hex(1), maxBudget: 10, spend: 4 }, { token: hex(2) }, { token: hex(3) }]);
    t.lookup(hex(1))!.spend += 1; // its call's cost
    t.lookup(hex(2));
    t.lookup(hex(3));
    assert.equal(t.lookup(hex(1))?.spend, 5);
    assert.deepEqual([t.held.size, t.parsed.size, t.index.size], [1, 1, 2]);
  });

  it('holds as records, whatever the parsed bound, the keys the index cannot make again', () => {
    const t = new KeyTable(1_000, spend, 2);
    t.index = indexOf(Array.from({ length: 10 }, (_, i) => ({ token: hex(i), keyName: `k${i}` })));
    t.complete = true;
    t.replace(rowOf(hex(1), 'changed')); // changed since the load
    t.learning(hex(2))?.adopt(5, Infinity, 0); // spend learned from the database
    for (let i = 3; i < 10; i++) t.lookup(hex(i));
    assert.equal(t.lookup(hex(1))?.keyName, 'changed');
    assert.equal(t.lookup(hex(2))?.spend, 5);
    assert.deepEqual([t.held.size, t.index.size, t.parsed.size], [2, 8, 2]);
    assert.ok(t.complete);
  });
});

function rowOf(token: string, keyName = 'sk-...', changeSeq = 1): KeySource {
  return indexOf([{ token, keyName, changeSeq }]).read(token)!;
}

/** A KeyCache over rows in memory read by COPY; `hold` keeps the next COPY's answer until released. */
function cacheOver(
  rows: Map<string, Partial<KeySource>>,
  maxKeys = 1_000,
  answer?: (onData: (chunk: Buffer) => void) => Promise<void>,
) {
  let handlers: KeyEventHandlers | null = null;
  let gate: Promise<void> | null = null;
  let copies = 0;
  const store = {
    canCopy: true,
    lastChange: async () => 0,
    copyKeys: async (limit: number, onData: (chunk: Buffer) => void) => {
      copies++;
      if (answer) return answer(onData);
      // Read now, answered once the gate opens (as a COPY answers what its snapshot holds).
      const bytes = copyBytes([...rows].slice(0, limit + 1).map(([token, r]) => ({ ...r, token })));
      if (gate) await gate;
      for (let i = 0; i < bytes.length; i += 100) onData(bytes.subarray(i, i + 100));
    },
    byTokens: async (tokens: readonly string[]) =>
      tokens.filter((t) => rows.has(t)).map((t) => rowOf(t, rows.get(t)!.keyName)),
    changesSince: async () => ({ rows: [], removed: [] }),
  } as unknown as KeyStore;
  const events = {
    register: (h: KeyEventHandlers) => (handlers = h),
    publish: () => undefined,
  } as unknown as KeyEventsService;
  const config = { keyCache: { resyncIntervalMs: 3_600_000, maxKeys } } as unknown as GatewayConfig;
  const cache = new KeyCache({} as KeysRepository, spend, events, pino({ level: 'silent' }), config, store);
  cache.onModuleInit();
  const table = (cache as unknown as { table: KeyTable }).table;
  return {
    cache,
    table,
    copies: () => copies,
    hold: () => {
      let release!: () => void;
      gate = new Promise((r) => (release = r));
      return () => {
        gate = null;
        release();
      };
    },
    handlers: () => handlers!,
  };
}

describe('key cache over the key index', () => {
  const value = (name: string, more: Partial<KeySource> = {}): Partial<KeySource> => ({ keyName: name, ...more });

  it('parses no key at load, each on its first use, and still refuses made-up keys from memory', async () => {
    const rows = new Map(Array.from({ length: 50 }, (_, i) => [hex(i), value(`k${i}`)]));
    const c = cacheOver(rows);
    c.cache.onApplicationBootstrap();
    await c.cache.loaded();
    assert.ok(c.cache.holdsAllKeys);
    assert.deepEqual([c.table.parsed.size, c.table.index.size], [0, 50]);
    assert.equal((await c.cache.findByHash(hex(7)))?.keyName, 'k7');
    assert.equal(c.cache.get(hex(8))?.keyName, 'k8');
    assert.deepEqual([c.table.parsed.size, c.table.held.size, c.table.index.size], [2, 0, 50]);
    assert.equal(c.cache.get(hex(99)), undefined);
    c.cache.onModuleDestroy();
  });

  it('does not serve what a page read of a key removed while the load ran', async () => {
    const rows = new Map([[hex(1), value('old')]]);
    const c = cacheOver(rows);
    const release = c.hold();
    c.cache.onApplicationBootstrap();
    await new Promise((r) => setImmediate(r));
    rows.delete(hex(1));
    c.cache.drop(hex(1));
    release();
    await c.cache.loaded();
    assert.ok(c.cache.holdsAllKeys);
    assert.equal(await c.cache.findByHash(hex(1)), null);
    c.cache.onModuleDestroy();
  });

  it('a later load replaces parsed keys with what it read, and serves the rest from its own pages', async () => {
    const rows = new Map([
      [hex(1), value('one')],
      [hex(2), value('two')],
      [hex(3), value('three')],
    ]);
    const c = cacheOver(rows);
    c.cache.onApplicationBootstrap();
    await c.cache.loaded();
    assert.equal(c.cache.get(hex(1))?.blocked, false);
    rows.set(hex(1), value('one', { blocked: true }));
    rows.set(hex(2), value('two', { blocked: true }));
    rows.delete(hex(3));
    c.handlers().onResync();
    await c.cache.loaded();
    assert.equal(c.table.peek(hex(1))?.blocked, true, 'parsed copy replaced by the load');
    assert.equal(c.cache.get(hex(2))?.blocked, true);
    assert.equal(c.table.index.has(hex(3)), false, 'a key no longer read is not served from the older pages');
    c.cache.onModuleDestroy();
  });

  it('keys read apart while the first load runs, past the bound until their rows arrive, leave every key held', async () => {
    const rows = new Map([1, 2, 3, 4].map((i) => [hex(i), value(`k${i}`)]));
    const bytes = copyBytes([...rows].map(([token, r]) => ({ ...r, token })));
    const rowBytes = (bytes.length - 19 - 2) / 4;
    // The COPY's answer in three parts: rows 1-2, rows 3-4, the end mark; each part after the test lets it go.
    const cuts = [19 + 2 * rowBytes, 19 + 4 * rowBytes, bytes.length];
    const gates: (() => void)[] = [];
    const waits = [0, 1].map(() => new Promise<void>((r) => gates.push(r)));
    const c = cacheOver(rows, 4, async (onData) => {
      let at = 0;
      for (let i = 0; i < cuts.length; i++) {
        onData(bytes.subarray(at, cuts[i]));
        at = cuts[i];
        if (i < waits.length) await waits[i];
      }
    });
    c.cache.onApplicationBootstrap();
    await new Promise((r) => setImmediate(r));
    c.cache.put(rowOf(hex(1), 'k1 changed'));
    await Promise.all([c.cache.findByHash(hex(3)), c.cache.findByHash(hex(4))]); // read before their rows arrive
    gates[0]();
    await new Promise((r) => setImmediate(r));
    c.cache.put(rowOf(hex(2), 'k2 changed')); // four records and two rows of the same keys: over the bound, for now
    gates[1]();
    await c.cache.loaded();
    assert.ok(c.cache.holdsAllKeys);
    for (const i of [1, 2, 3, 4]) assert.ok(await c.cache.findByHash(hex(i)), `k${i} held`);
    assert.equal(c.cache.get(hex(1))?.keyName, 'k1 changed');
    c.cache.onModuleDestroy();
  });

  it('a later load replaces a held record the change log numbers earlier than its row, and keeps a newer one', async () => {
    const rows = new Map([
      [hex(1), value('one', { maxBudget: 5, changeSeq: 1 })],
      [hex(2), value('two', { changeSeq: 1 })],
    ]);
    const c = cacheOver(rows);
    c.cache.onApplicationBootstrap();
    await c.cache.loaded();
    assert.equal(c.cache.get(hex(1))?.keyName, 'one'); // held: it has a budget
    c.cache.put(rowOf(hex(2), 'two, read since', 3)); // held, newer than what the next load reads
    rows.set(hex(1), value('one', { maxBudget: 5, blocked: true, changeSeq: 2 })); // a change the broadcast missed
    rows.set(hex(2), value('two', { changeSeq: 2 }));
    c.handlers().onResync();
    await c.cache.loaded();
    assert.equal(c.cache.get(hex(1))?.blocked, true);
    assert.equal(c.cache.get(hex(2))?.keyName, 'two, read since');
    assert.equal(c.table.index.has(hex(2)), false, 'one copy of a key: the record');
    c.cache.onModuleDestroy();
  });

  it('a later load does not serve a key removed after its last rows arrived, before its answer ended', async () => {
    const rows = new Map([
      [hex(1), value('one')],
      [hex(2), value('two')],
    ]);
    let removeMeanwhile = false;
    const c = cacheOver(rows, 1_000, async (onData) => {
      onData(copyBytes([...rows].map(([token, r]) => ({ ...r, token }))));
      if (removeMeanwhile) c.cache.drop(hex(1));
    });
    c.cache.onApplicationBootstrap();
    await c.cache.loaded();
    removeMeanwhile = true;
    c.handlers().onResync();
    await c.cache.loaded();
    assert.equal(c.cache.get(hex(1)), undefined);
    assert.equal(c.cache.get(hex(2))?.keyName, 'two');
    c.cache.onModuleDestroy();
  });

  it('starts the first load again when everything held is forgotten while it runs', async () => {
    const rows = new Map([[hex(1), value('old')]]);
    const c = cacheOver(rows);
    const release = c.hold();
    c.cache.onApplicationBootstrap();
    await new Promise((r) => setImmediate(r));
    c.cache.clear();
    rows.set(hex(1), value('new'));
    release();
    await c.cache.loaded();
    assert.equal(c.copies(), 2);
    assert.equal(c.cache.get(hex(1))?.keyName, 'new');
    c.cache.onModuleDestroy();
  });
});
