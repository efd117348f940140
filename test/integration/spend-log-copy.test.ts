import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DatabaseService } from '../../src/database/database.service';
import { COPY_FOLDER } from '../../src/database/copy-in-file';
import { COPY_BINARY } from '../../src/spend/spend-log-copy';
import { SpendLogStore } from '../../src/spend/spend-log-store';
import type { SpendLogRow } from '../../src/spend/spend-log-row';
import { createTestDatabase, sql } from '../support/postgres';

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;
import { plainRow } from '../support/spend-rows';
import { openDatabase } from '../support/database';

/**
 * Spend log rows go to either store by binary COPY (to the embedded store through a file in its data folder): the
 * same rows must read back the same, whatever bytes a client put in its strings.
 */
const HOSTILE = ['tab\there', 'line\nbreak', 'carriage\rreturn', 'back\\slash', '\\N', 'quote"s', '{brace,comma}', ''];

function hostileRows(prefix: string, at: number): SpendLogRow[] {
  return HOSTILE.map((s, i) =>
    plainRow(`${prefix}-${i}`, at + i * 1001 + (i % 3) * 7, 1e-9 * (i + 1), {
      requestId: `${prefix}-req-${s}`,
      apiKey: i % 2 ? 'a'.repeat(64) : null,
      keyAlias: s || null,
      teamId: `team ${s}`,
      user: s || null,
      endUser: i % 2 ? s : null,
      model: `model/${s}`,
      modelId: i % 2 ? null : `dep-${i}`,
      apiBase: i % 2 ? 'https://example.test/v1' : null,
      promptTokens: i * 1000,
      completionTokens: i,
      completionStartTime: i % 2 ? null : at + 5,
      status: i % 2 ? 'failure' : 'success',
      statusCode: i % 2 ? 429 : 200,
      requestTags: i === 0 ? [] : [s, `tag-${i}`, 'quote " and \\ back'],
    }),
  );
}

interface Stored {
  id: string;
  request_id: string;
  api_key: string | null;
  key_alias: string | null;
  team_id: string | null;
  user: string | null;
  end_user: string | null;
  model: string;
  model_id: string | null;
  api_base: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  spend: number;
  start_ms: string;
  end_ms: string;
  first_ms: string | null;
  status: string;
  status_code: number;
  request_tags: string[];
}

type Query = (text: string, params: unknown[]) => Promise<Stored[]>;

async function readBack(from: string | Query, prefix: string): Promise<Stored[]> {
  const query: Query = typeof from === 'string' ? (text, params) => sql<Stored>(from, text, params) : from;
  return query(
    `SELECT id, request_id, api_key, key_alias, team_id, "user", end_user, model, model_id, api_base, prompt_tokens,
       completion_tokens, total_tokens, spend, (extract(epoch FROM start_time) * 1000)::bigint::text AS start_ms,
       (extract(epoch FROM end_time) * 1000)::bigint::text AS end_ms,
       (extract(epoch FROM completion_start_time) * 1000)::bigint::text AS first_ms, status, status_code, request_tags
     FROM spend_logs WHERE id LIKE $1 ORDER BY id`,
    [`${prefix}-%`],
  );
}

function expected(r: SpendLogRow): Stored {
  return {
    id: r.id,
    request_id: r.requestId,
    api_key: r.apiKey,
    key_alias: r.keyAlias,
    team_id: r.teamId,
    user: r.user,
    end_user: r.endUser,
    model: r.model,
    model_id: r.modelId,
    api_base: r.apiBase,
    prompt_tokens: r.promptTokens,
    completion_tokens: r.completionTokens,
    total_tokens: r.promptTokens + r.completionTokens,
    spend: r.spend,
    start_ms: String(r.startTime),
    end_ms: String(r.endTime),
    first_ms: r.completionStartTime === null ? null : String(r.completionStartTime),
    status: r.status,
    status_code: r.statusCode,
    request_tags: [...r.requestTags],
  };
}

describe('spend log rows through binary COPY on PostgreSQL', () => {
  let db: TestDatabase;
  let database: DatabaseService;

  before(async () => {
    db = await createTestDatabase('gw_spend_copy');
    database = await openDatabase(db.url);
  });
  after(async () => {
    await database?.onApplicationShutdown();
    await db?.drop();
  });

  it('keeps every field of rows holding COPY-special characters', async () => {
    const at = Date.UTC(2026, 11, 6, 10, 0, 0, 5);
    const copied = hostileRows('copy', at);
    await new SpendLogStore(database).insert(copied);
    assert.deepEqual(await readBack(db.url, 'copy'), copied.map(expected));
  });

  it('keeps plain and non-ASCII fields whole through binary COPY', async () => {
    const at = Date.UTC(2026, 11, 6, 13, 0, 0, 11);
    const rows = [
      ...plainRows('binplain', at),
      plainRow('binwide-0', at, 0.125, {
        requestId: 'req-ünï-🙂-'.repeat(20),
        keyAlias: 'ключ',
        teamId: '团队',
        user: 'é',
        endUser: 'end 🙂 user',
        model: 'modèle/日本',
        requestTags: ['🙂', 'ascii', 'ü'.repeat(128)],
      }),
    ];
    await new SpendLogStore(database).insert(rows);
    assert.deepEqual(await readBack(db.url, 'binplain'), rows.slice(0, -1).map(expected));
    assert.deepEqual(await readBack(db.url, 'binwide'), rows.slice(-1).map(expected));
  });

  it('writes times to the millisecond across second and day boundaries', async () => {
    const midnight = Date.UTC(2026, 11, 7);
    const rows = [midnight - 1, midnight, midnight + 999, midnight + 1000, midnight + 10].map((t, i) =>
      plainRow(`edge-${i}`, t, 0.5, { endTime: t + 1, completionStartTime: t }),
    );
    await new SpendLogStore(database).insert(rows);
    assert.deepEqual(await readBack(db.url, 'edge'), rows.map(expected));
  });

  it('keeps each row its own caller and deployment columns when they alternate, repeat or change between rows', async () => {
    const at = Date.UTC(2026, 11, 6, 12, 0, 0, 3);
    const deps = [
      { modelId: 'dep-a', apiBase: 'https://a.example.test/v1', model: 'group' },
      { modelId: 'dep-b', apiBase: 'https://b.example.test/v1', model: 'group' },
      { modelId: 'dep-a', apiBase: 'https://a2.example.test/v1', model: 'group' },
      { modelId: 'dep-a', apiBase: 'https://a2.example.test/v1', model: 'other group' },
      { modelId: null, apiBase: null, model: 'group' },
    ];
    const rows = Array.from({ length: 12 }, (_, i) =>
      plainRow(`alt-${String(i).padStart(2, '0')}`, at + i, 0.5, {
        ...deps[i % deps.length],
        apiKey: i < 6 ? 'a'.repeat(64) : 'c'.repeat(64),
        keyAlias: i < 6 ? 'first' : 'second',
        teamId: i % 3 === 0 ? 'team-x' : null,
      }),
    );
    await new SpendLogStore(database).insert(rows);
    assert.deepEqual(await readBack(db.url, 'alt'), rows.map(expected));
  });
});

/**
 * Rows of every field shape needing no escape: nulls, empty strings and spaces, tags that read as words of an array
 * literal, fractions of a cent, every counter and time different from the others.
 */
function plainRows(prefix: string, at: number): SpendLogRow[] {
  return [0, 1, 2, 3].map((i) =>
    plainRow(`${prefix}-${i}`, at + i * 999, i === 3 ? 1.5e-9 : 0.25 * i, {
      promptTokens: 10 + i,
      completionTokens: 100 + i,
      endTime: at + i * 999 + 250,
      apiKey: i % 2 ? 'b'.repeat(64) : null,
      keyAlias: i === 2 ? '' : `alias ${i}`,
      teamId: i % 2 ? null : `team-${i}`,
      user: i === 1 ? 'u@example.test' : null,
      endUser: i === 3 ? '' : null,
      modelId: i % 2 ? 'dep' : null,
      apiBase: 'https://example.test/v1',
      completionStartTime: i % 2 ? null : at + i,
      status: i === 2 ? 'failure' : 'success',
      statusCode: i === 2 ? 500 : 200,
      requestTags: i === 0 ? [] : [`t${i}`, 'with space', 'comma,inside', 'ünï 🙂', 'NULL', '  ', '{}'],
      ...(i === 3 ? { user: '   ', keyAlias: 'NULL' } : {}),
    }),
  );
}

describe('spend log rows on the embedded store', () => {
  let dir: string;
  let database: DatabaseService;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-spend-embedded-'));
    database = await openDatabase({ dataDir: join(dir, 'data') });
  });
  after(async () => {
    await database?.onApplicationShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores plain rows and rows holding COPY-special characters whole, by binary COPY through a file', async () => {
    const at = Date.UTC(2026, 11, 6, 12, 0, 0, 9);
    const sent: string[] = [];
    const store = new SpendLogStore(watched(database, sent));
    const plain = plainRows('eplain', at);
    const hostile = hostileRows('ehostile', at);
    const after = plainRows('eafter', at + 5);
    for (const rows of [plain, hostile, after]) await store.insert(rows);
    assert.deepEqual(sent, Array(3).fill(COPY_BINARY));
    const query: Query = (text, params) => database.query<Stored>(text, params);
    assert.deepEqual(await readBack(query, 'eplain'), plain.map(expected));
    assert.deepEqual(await readBack(query, 'ehostile'), hostile.map(expected));
    assert.deepEqual(await readBack(query, 'eafter'), after.map(expected));
    // Each batch's file is gone once it is in.
    assert.deepEqual(readdirSync(join(dir, 'data', COPY_FOLDER)), []);
  });

  it('writes a batch again without doubling the rows of it that are in already', async () => {
    const rows = plainRows('eagain', Date.UTC(2026, 11, 6, 14, 0, 0, 1));
    const store = new SpendLogStore(database);
    await store.insert(rows.slice(0, 2));
    await store.insert(rows);
    const query: Query = (text, params) => database.query<Stored>(text, params);
    assert.deepEqual(await readBack(query, 'eagain'), rows.map(expected));
  });

  it('empties the folder of COPY files left by a gateway that was killed when the store opens', async () => {
    await database.onApplicationShutdown();
    writeFileSync(join(dir, 'data', COPY_FOLDER, '7.copy'), 'left behind');
    database = await openDatabase({ dataDir: join(dir, 'data') });
    assert.deepEqual(readdirSync(join(dir, 'data', COPY_FOLDER)), []);
    const query: Query = (text, params) => database.query<Stored>(text, params);
    assert.equal((await readBack(query, 'eplain')).length, 4);
  });
});

/** `database` with the statement of each COPY kept in `sent`. */
function watched(database: DatabaseService, sent: string[]): DatabaseService {
  return new Proxy(database, {
    get(target, prop, receiver) {
      if (prop === 'copyIn')
        return (
          sql: string,
          ...rest: Parameters<DatabaseService['copyIn']> extends [string, ...infer R] ? R : never
        ) => (sent.push(sql), target.copyIn(sql, ...rest));
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
