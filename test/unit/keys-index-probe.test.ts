import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyIndex } from '../../src/keys/cache/key-index';
import { copyBytes, hex, indexOf } from '../support/copy-rows';

/** The index's hash (MurmurHash3, 32-bit, seed 0, over the token's UTF-8): the tests pick tokens that collide. */
function hashOf(token: string): number {
  const b = Buffer.from(token);
  const mix = (k: number) => Math.imul(rotl(Math.imul(k, 0xcc9e2d51), 15), 0x1b873593);
  const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
  let h = 0;
  const words = b.length & ~3;
  for (let i = 0; i < words; i += 4) h = (Math.imul(rotl(h ^ mix(b.readUInt32LE(i)), 13), 5) + 0xe6546b64) | 0;
  let tail = 0;
  for (let i = b.length - 1; i >= words; i--) tail = (tail << 8) | b[i];
  h ^= mix(tail) ^ b.length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const named = (tokens: string[]) => tokens.map((token) => ({ token, keyName: `name of ${token}` }));

describe('key index: probing and growth', () => {
  it('tells apart tokens of the same length and the same whole hash, ASCII or not', () => {
    const pairs = [
      [hex(0xde57), hex(0x10936)],
      ['ü0003597', 'ü0167883'],
    ];
    for (const [a, b] of pairs) {
      assert.equal(hashOf(a), hashOf(b), 'the pair collides');
      assert.equal(Buffer.byteLength(a), Buffer.byteLength(b));
      const alone = indexOf(named([a]));
      assert.equal(alone.read(b), undefined, 'a token of the same hash is not the one held');
      const both = indexOf(named([a, b]));
      assert.equal(both.read(a)?.keyName, `name of ${a}`);
      assert.equal(both.read(b)?.keyName, `name of ${b}`);
      both.invalidate(a);
      assert.deepEqual([both.has(a), both.read(b)?.keyName, both.size], [false, `name of ${b}`, 1]);
    }
  });

  it('finds keys sharing their first slot (the table’s last, so probing wraps), past keys let go of', () => {
    // Tokens whose hash's low bits are all ones: the last slot of the first tables, whatever their size.
    const last: string[] = [];
    for (let i = 0; last.length < 40; i++) if ((hashOf(hex(i)) & 0x7ff) === 0x7ff) last.push(hex(i));
    const others = Array.from({ length: 200 }, (_, i) => hex(1_000_000 + i));
    const index = indexOf(named([...last, ...others]));
    for (let i = 0; i < last.length; i += 2) index.invalidate(last[i]);
    for (let i = 0; i < last.length; i++)
      assert.equal(index.read(last[i])?.keyName, i % 2 === 0 ? undefined : `name of ${last[i]}`, `${i}`);
    for (const token of others) assert.equal(index.read(token)?.keyName, `name of ${token}`);
    assert.equal(index.size, last.length / 2 + others.length);
    assert.equal(index.has(hex(2_000_000)), false);
  });

  it('grows as rows arrive; a key let go of before it grew stays let go of', () => {
    const tokens = Array.from({ length: 10_000 }, (_, i) => hex(i));
    const bytes = copyBytes(named(tokens));
    const index = new KeyIndex();
    const gone = new Set<string>();
    const froms: number[] = [];
    for (let at = 0; at < bytes.length; at += 4_096) {
      const from = index.entries;
      froms.push(from);
      index.feed(bytes.subarray(at, at + 4_096));
      // Let go of every seventh key, as the load does for keys changed meanwhile.
      for (let e = Math.ceil(from / 7) * 7; e < index.entries; e += 7) {
        index.invalidate(tokens[e]);
        gone.add(tokens[e]);
      }
    }
    assert.ok(index.ended);
    assert.deepEqual([index.entries, index.size], [tokens.length, tokens.length - gone.size]);
    for (const token of tokens)
      assert.equal(index.read(token)?.keyName, gone.has(token) ? undefined : `name of ${token}`, token);
    // Each feed's tokens, in order, those let go of too (the later load's refresh walks them).
    for (let i = 0; i < froms.length; i++) {
      const to = froms[i + 1] ?? index.entries;
      assert.deepEqual([...index.tokens(froms[i], to)], tokens.slice(froms[i], to), `feed ${i}`);
    }
    assert.deepEqual([...index.tokens(4_321, 4_325)], tokens.slice(4_321, 4_325));
  });

  it('keeps what it learned of a spend in the row; a key let go of has no row', () => {
    const index = indexOf([
      { token: hex(1), spend: 1 },
      { token: hex(2), spend: 2 },
    ]);
    const row = index.row(hex(1));
    assert.equal(index.parse(row, hex(1)).spend, 1);
    index.setSpend(row, 1.5);
    index.invalidate(hex(2));
    assert.equal(index.read(hex(1))?.spend, 1.5);
    assert.deepEqual([index.read(hex(2)), index.row(hex(2))], [undefined, -1]);
  });

  it('places a row by one number across pages, each row its own', () => {
    const tokens = Array.from({ length: 3_000 }, (_, i) => hex(i));
    const index = indexOf(
      tokens.map((token, i) => ({ token, spend: i })),
      1_000,
    );
    const rows = tokens.map((t) => index.row(t));
    assert.equal(new Set(rows).size, tokens.length);
    for (let i = 0; i < tokens.length; i += 97) {
      assert.equal(index.parse(rows[i], tokens[i]).spend, i);
      index.setSpend(rows[i], i + 0.5);
    }
    for (let i = 0; i < tokens.length; i++) assert.equal(index.read(tokens[i])?.spend, i % 97 === 0 ? i + 0.5 : i);
  });

  it('finds tokens of any length, those longer than the lookup’s own buffer too, and tells apart their last bytes', () => {
    const tokens = ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdefg', 'ü', 'aü', 'x'.repeat(85), 'x'.repeat(86)];
    tokens.push('x'.repeat(300), 'ü'.repeat(86), `${'ü'.repeat(85)}a`, `${'ü'.repeat(85)}b`, `${hex(7)}é`);
    const index = indexOf(named(tokens));
    for (const token of tokens) assert.equal(index.read(token)?.keyName, `name of ${token}`, token);
    const unknown = ['', 'abce', 'abcdf', 'x'.repeat(87), 'x'.repeat(299), 'ü'.repeat(85), `${hex(7)}e`, hex(7)];
    unknown.push('\ud800', `${'ü'.repeat(85)}c`, 'abc\u0000', 'Ã¼');
    for (const token of unknown) assert.equal(index.has(token), false, JSON.stringify(token));
  });
});
