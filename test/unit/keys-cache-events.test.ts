import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { GatewayConfig } from '../../src/config/gateway-config';
import type { KeyEventHandlers, KeyEventsService } from '../../src/keys/invalidation/key-events.service';
import { decodeEvent, encodeEvents, type KeyEvent } from '../../src/keys/invalidation/key-events';
import type { KeyStore } from '../../src/keys/cache/key-store';
import { KeyCache } from '../../src/keys/key-cache.service';
import type { KeyRow, KeysRepository } from '../../src/keys/keys.repository';
import type { SpendWriter } from '../../src/keys/spend/spend-writer.service';
import { keyRecord } from '../support/auth-probe';

const T = 'a'.repeat(64);
const U = 'b'.repeat(64);

/** A KeyCache over a table in memory that counts its reads; `emit` delivers a message from another instance. */
function cacheOver(table: Map<string, KeyRow>) {
  let reads = 0;
  let handlers: KeyEventHandlers | null = null;
  const repo = {} as unknown as KeysRepository;
  const store = {
    byTokens: async (tokens: readonly string[]) => {
      reads++;
      return tokens.flatMap((t) => (table.has(t) ? [table.get(t)!] : []));
    },
  } as unknown as KeyStore;
  const spend = {
    readConsistent: <R>(fn: () => Promise<R>) => fn(),
    unflushed: () => 0,
    onFlushed: () => undefined,
  } as unknown as SpendWriter;
  const events = {
    register: (h: KeyEventHandlers) => (handlers = h),
    publish: () => undefined,
  } as unknown as KeyEventsService;
  const config = { keyCache: { resyncIntervalMs: 3_600_000, maxKeys: 1_000 } } as unknown as GatewayConfig;
  const cache = new KeyCache(repo, spend, events, pino({ level: 'silent' }), config, store);
  cache.onModuleInit();
  return {
    cache,
    reads: () => reads,
    emit: (e: Omit<Extract<KeyEvent, { t: 'changed' }>, 'o'>) =>
      handlers!.onEvent(decodeEvent(encodeEvents({ o: 'other', ...e })[0])!),
    close: () => cache.onModuleDestroy(),
  };
}

describe('key cache: messages from other instances', () => {
  it("keeps its copy of a new key when the key's own creation message arrives after it was read", async () => {
    const table = new Map([[T, keyRecord(T) as KeyRow]]);
    const c = cacheOver(table);
    assert.equal((await c.cache.findByHash(T))?.blocked, false);
    table.set(T, keyRecord(T, { blocked: true }) as KeyRow); // changed in the database, with no message (yet)
    c.emit({ t: 'changed', k: [T], n: [T] }); // the creation's message, late
    assert.equal((await c.cache.findByHash(T))?.blocked, false, 'the copy read after the creation was thrown away');
    assert.equal(c.reads(), 1);
    c.emit({ t: 'changed', k: [T] }); // a change: the copy goes
    assert.equal((await c.cache.findByHash(T))?.blocked, true);
    assert.equal(c.reads(), 2);
    c.close();
  });

  it('forgets a remembered "unknown" when the key is created elsewhere', async () => {
    const table = new Map<string, KeyRow>();
    const c = cacheOver(table);
    assert.equal(await c.cache.findByHash(U), null);
    assert.equal(await c.cache.findByHash(U), null);
    assert.equal(c.reads(), 1, 'an unknown key is remembered');
    table.set(U, keyRecord(U) as KeyRow);
    c.emit({ t: 'changed', k: [U], n: [U] });
    assert.equal((await c.cache.findByHash(U))?.token, U);
    c.close();
  });

  it('a load running when the creation message arrives keeps what it found', async () => {
    const table = new Map([[T, keyRecord(T) as KeyRow]]);
    const c = cacheOver(table);
    const running = c.cache.findByHash(T);
    c.emit({ t: 'changed', k: [T], n: [T] });
    assert.equal((await running)?.token, T);
    const reads = c.reads();
    table.set(T, keyRecord(T, { blocked: true }) as KeyRow);
    assert.equal((await c.cache.findByHash(T))?.blocked, false, 'the key read during the message was not kept');
    assert.equal(c.reads(), reads);
    c.close();
  });

  it('a load that started before a creation message is answered but not kept', async () => {
    const table = new Map<string, KeyRow>();
    const c = cacheOver(table);
    const early = c.cache.findByHash(U); // reads "not there"
    await new Promise((r) => setImmediate(r)); // misses are read together, after the I/O callbacks due
    table.set(U, keyRecord(U) as KeyRow);
    c.emit({ t: 'changed', k: [U], n: [U] });
    const later = c.cache.findByHash(U);
    assert.equal(await early, null);
    assert.equal((await later)?.token, U, 'a caller after the message was given the load that began before it');
    assert.equal((await c.cache.findByHash(U))?.token, U, 'the stale "unknown" was kept');
    c.close();
  });

  it('the new-row list travels with its tokens when a message is split, and is checked on arrival', () => {
    const tokens = Array.from({ length: 500 }, (_, i) => i.toString(16).padStart(64, '0'));
    const created = [tokens[3], tokens[250], tokens[499]];
    const parts = encodeEvents({ o: 'me', t: 'changed', k: tokens, n: created }).map(
      (p) => decodeEvent(p) as Extract<KeyEvent, { t: 'changed' }>,
    );
    assert.ok(parts.length > 1);
    assert.deepEqual(
      parts.flatMap((p) => p.k),
      tokens,
    );
    assert.deepEqual(
      parts.flatMap((p) => p.n ?? []),
      created,
    );
    for (const p of parts) for (const t of p.n ?? []) assert.ok(p.k.includes(t));
    assert.equal(decodeEvent(JSON.stringify({ o: 'x', t: 'changed', k: [T], n: [U] })), null, 'a new row outside k');
    assert.equal(decodeEvent(JSON.stringify({ o: 'x', t: 'changed', k: [T], n: 'x' })), null);
    assert.equal(
      decodeEvent(JSON.stringify({ o: 'x', t: 'changed', k: [T] }))?.t,
      'changed',
      'a message without n (an older instance)',
    );
  });
});
