import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arrayParam } from '../../src/keys/budget/spend-statement';
import { PG_ADMIN_URL, sql } from '../support/postgres';

/** What PostgreSQL reads from the parameter, as `type`[]. */
async function read(values: (string | number | null)[], type: 'text' | 'float8' | 'jsonb'): Promise<unknown> {
  const [row] = await sql<{ a: unknown }>(PG_ADMIN_URL, `SELECT $1::${type}[] AS a`, [arrayParam(values)]);
  return row.a;
}

describe("spend write: the arrays of one second's amounts as parameters", () => {
  it('reads back every id and amount as given, with or without characters an array literal escapes', async () => {
    const ids = ['a'.repeat(64), 'team, {one}', 'NULL', '', 'ü 𝄞', 'say "hi"', 'back\\slash', 'line\nbreak'];
    assert.deepEqual(await read(ids, 'text'), ids);
    for (const plain of [ids.slice(0, 5), []]) {
      assert.equal(typeof arrayParam(plain), 'string', 'written as a literal, not by the driver');
      assert.deepEqual(await read(plain, 'text'), plain);
    }
    // Hex tokens (the usual ids), and ids that only look like them: a null, an empty one, a number, a capital.
    const tokens = ['0123456789abcdef'.repeat(4), 'f'.repeat(64), 'a'];
    assert.equal(arrayParam(tokens), `{${tokens.join(',')}}`);
    for (const mixed of [
      [...tokens, null],
      [...tokens, ''],
      ['', ...tokens],
      [...tokens, 12],
      ['ABC', ...tokens],
    ]) {
      assert.deepEqual(
        await read(mixed, 'text'),
        mixed.map((v) => (v === null ? null : String(v))),
      );
    }
    const amounts = [0.000015, 1e-7, 1e21, 123.456, 0, 5e-324, 1.7976931348623157e308];
    assert.equal(typeof arrayParam(amounts), 'string');
    assert.deepEqual(await read(amounts, 'float8'), amounts);
    const models = [null, '{"gpt-4o":0.5}', null];
    assert.deepEqual(await read(models, 'jsonb'), [null, { 'gpt-4o': 0.5 }, null]);
    assert.deepEqual(await read([null, null], 'jsonb'), [null, null]);
  });
});
