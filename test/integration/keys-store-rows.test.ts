import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DatabaseService } from '../../src/database/database.service';
import { KeyIndex } from '../../src/keys/cache/key-index';
import { KeyStore, type KeySource } from '../../src/keys/cache/key-store';
import { CachedKey } from '../../src/keys/cached-key';
import { isUsable, unusableKeyError } from '../../src/keys/key-usable';
import { createTestDatabase } from '../support/postgres';
import { openDatabase } from '../support/database';

const BARE = 'a'.repeat(64);
const FULL = 'b'.repeat(64);
/** Every scalar column set, and a token that is not a hex hash (a hand-made one). */
const SET = 'hand-made token ü';
/** PostgreSQL's `infinity` in both ends in time (expiry, budget period), and `-infinity`. */
const NEVER = 'c'.repeat(64);
const ALWAYS = 'd'.repeat(64);

/** The full key's stored values, as its row holds them. */
const FULL_VALUES = {
  models: ['gpt-4o', 'all-proxy-models'],
  allowedRoutes: ['/chat/completions'],
  metadata: { tags: ['x'], owner: 'team a' },
  extra: { model_max_budget: { 'gpt-4o': 5 }, aliases: { fast: 'gpt-4o' } },
  modelSpend: { 'gpt-4o': 1.5 },
};

async function insertKeys(db: DatabaseService): Promise<void> {
  await db.query(
    `INSERT INTO virtual_keys (token, key_name, created_by, updated_at) VALUES ($1, 'sk-...bare', 'test', now())`,
    [BARE],
  );
  await db.query(
    `INSERT INTO virtual_keys (token, key_name, created_by, updated_at, models, allowed_routes, metadata, extra,
      model_spend) VALUES ($1, 'sk-...full', 'test', now(), $2, $3, $4, $5, $6)`,
    [
      FULL,
      FULL_VALUES.models,
      FULL_VALUES.allowedRoutes,
      JSON.stringify(FULL_VALUES.metadata),
      JSON.stringify(FULL_VALUES.extra),
      JSON.stringify(FULL_VALUES.modelSpend),
    ],
  );
  await db.query(
    `INSERT INTO virtual_keys (token, key_name, key_alias, created_by, updated_at, expires, max_budget, spend,
      rpm_limit, tpm_limit, max_parallel_requests, team_id, user_id, blocked, budget_reset_at, metadata)
     VALUES ($1, 'sk-...set', 'alias "q"', 'test', now(), '2027-01-02 03:04:05.678+00', 12.5, 0.1, 10, 2000, 3,
      'team-1', 'user-1', true, '2027-02-01 00:00:00+00', '{"note": null, "n": 1e21}')`,
    [SET],
  );
  for (const [token, at] of [
    [NEVER, 'infinity'],
    [ALWAYS, '-infinity'],
  ])
    await db.query(
      `INSERT INTO virtual_keys (token, key_name, created_by, updated_at, expires, budget_reset_at, budget_duration)
       VALUES ($1, 'sk-...inf', 'test', now(), $2, $2, '1d')`,
      [token, at],
    );
}

/** The bulk load's rows: one COPY (PostgreSQL), through the key index, fed in small chunks; else its pages. */
async function bulkRows(store: KeyStore): Promise<KeySource[]> {
  if (!store.canCopy) return store.page('', 10);
  const index = new KeyIndex();
  await store.copyKeys(10, (chunk) => {
    for (let i = 0; i < chunk.length; i += 7) index.feed(chunk.subarray(i, i + 7));
  });
  assert.ok(index.ended);
  return [...index.tokens(0, index.entries)].map((token) => index.read(token)!);
}

/** What the hot path reads of a cached key (the fields these columns feed). */
function view(k: CachedKey) {
  return {
    models: k.models,
    allowedRoutes: k.allowedRoutes,
    metadata: k.metadata,
    modelSet: k.modelSet && [...k.modelSet],
    aliases: k.extras.aliases && [...k.extras.aliases],
    modelMaxBudget: k.extras.modelMaxBudget && [...k.extras.modelMaxBudget],
    modelSpend: k.modelSpend && [...k.modelSpend],
  };
}

/**
 * The key cache's reads leave empty arrays and objects as null (the driver then parses nothing for them); a key
 * cached from such a row must hold exactly what it holds from the row with its empty values written out.
 */
function checks(open: () => DatabaseService) {
  it('reads empty arrays and objects as null and the others whole, on the page, by token and in the change log', async () => {
    const store = new KeyStore(open());
    const page = await bulkRows(store);
    const byToken = await store.byTokens([BARE, FULL]);
    const changed = (await store.changesSince(0)).rows;
    for (const rows of [page, byToken, changed]) {
      const bare = rows.find((r) => r.token === BARE)!;
      const full = rows.find((r) => r.token === FULL)!;
      assert.deepEqual(
        [bare.models, bare.allowedRoutes, bare.metadata, bare.extra, bare.modelSpend],
        [null, null, null, null, null],
      );
      assert.deepEqual(
        [full.models, full.allowedRoutes, full.metadata, full.extra, full.modelSpend],
        [
          FULL_VALUES.models,
          FULL_VALUES.allowedRoutes,
          FULL_VALUES.metadata,
          FULL_VALUES.extra,
          FULL_VALUES.modelSpend,
        ],
      );
    }
  });

  it('reads every column in the bulk load as the other reads read it', async () => {
    const store = new KeyStore(open());
    const byToken = await store.byTokens([BARE, FULL, SET, NEVER, ALWAYS]);
    const bulk = await bulkRows(store);
    assert.equal(bulk.length, 5);
    for (const row of byToken)
      assert.deepEqual(
        bulk.find((r) => r.token === row.token),
        row,
      );
  });

  it('reads infinity as no end (null) and -infinity as an end passed, in every read', async () => {
    const store = new KeyStore(open());
    const now = Date.now();
    for (const rows of [
      await bulkRows(store),
      await store.byTokens([NEVER, ALWAYS]),
      (await store.changesSince(0)).rows,
    ]) {
      const never = rows.find((r) => r.token === NEVER)!;
      const always = rows.find((r) => r.token === ALWAYS)!;
      assert.deepEqual([never.expires, never.budgetResetAt], [null, null]);
      for (const end of [always.expires, always.budgetResetAt]) assert.ok(end instanceof Date && end.getTime() < now);
      assert.equal(isUsable(new CachedKey(never, 0)), true);
      assert.equal(isUsable(new CachedKey(always, 0)), false);
      assert.equal(unusableKeyError(new CachedKey(always, 0))?.code, 'key_expired');
    }
  });

  it('caches a key read with nulls exactly as the same key with its empty values written out', async () => {
    const rows = await new KeyStore(open()).byTokens([BARE, FULL]);
    for (const row of rows) {
      const written: KeySource = {
        ...row,
        models: row.models ?? [],
        allowedRoutes: row.allowedRoutes ?? [],
        metadata: row.metadata ?? {},
        extra: row.extra ?? {},
        modelSpend: row.modelSpend ?? {},
      };
      assert.deepEqual(view(new CachedKey(row, 0)), view(new CachedKey(written, 0)));
    }
    const full = new CachedKey(
      rows.find((r) => r.token === FULL)!,
      0.25,
    );
    assert.equal(full.modelSet, null, 'all-proxy-models: every group');
    assert.deepEqual([...full.modelSpend!], [['gpt-4o', 1.5]]);
    assert.deepEqual(full.metadata, FULL_VALUES.metadata);
    const bare = new CachedKey(
      rows.find((r) => r.token === BARE)!,
      0,
    );
    assert.deepEqual([bare.models, bare.allowedRoutes, bare.metadata], [[], [], {}]);
    assert.equal(bare.modelSet, null);
    assert.equal(bare.modelSpend, null);
  });
}

describe('key cache rows on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let database: DatabaseService;
  before(async () => {
    db = await createTestDatabase('gw_key_rows');
    database = await openDatabase(db.url);
    await insertKeys(database);
  });
  after(async () => {
    await database?.onApplicationShutdown();
    await db?.drop();
  });
  checks(() => database);
});

describe('key cache rows on the embedded store', () => {
  let dir: string;
  let database: DatabaseService;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-key-rows-'));
    database = await openDatabase({ dataDir: join(dir, 'data') });
    await insertKeys(database);
  });
  after(async () => {
    await database?.onApplicationShutdown();
    rmSync(dir, { recursive: true, force: true });
  });
  checks(() => database);
});
