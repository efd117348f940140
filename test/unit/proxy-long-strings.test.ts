import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClientJson } from '../../src/proxy/upstream/client-json';
import {
  elideLongStrings,
  LONG_STRING_MIN_BYTES,
  restoreLongStrings,
  type Elided,
} from '../../src/proxy/upstream/long-strings';

/** The body parsed as the gateway's parser does when it left its long strings out. */
function parsedWithout(elided: Elided): Record<string, unknown> {
  return JSON.parse(elided.text) as Record<string, unknown>;
}

/** The bytes at an odd offset in a larger buffer, as a body can arrive (the word reads must not assume alignment). */
function atOffset(text: string, offset: number): Buffer {
  const bytes = Buffer.from(text);
  const big = Buffer.alloc(bytes.length + 8);
  bytes.copy(big, offset);
  return big.subarray(offset, offset + bytes.length);
}

const LONG = LONG_STRING_MIN_BYTES;

describe('proxy: a chat body parsed without its long strings', () => {
  it('parses to the same values once the strings are put back, whatever the strings hold', () => {
    const chunk = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u2028', 'é', '😀', '\\u0041', '"\\"'),
    );
    fc.assert(
      fc.property(fc.array(chunk, { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 3 }), (parts, off) => {
        const content = parts.join('').padEnd(LONG, 'x');
        const body = {
          model: 'g',
          messages: [
            { role: 'user', content },
            { role: 'user', content: 'short' },
          ],
        };
        const text = JSON.stringify(body);
        const elided = elideLongStrings(atOffset(text, off));
        assert.ok(elided, 'a valid long string is left out');
        assert.ok(elided.text.length < 200, 'the text parsed holds a stand-in, not the string');
        const parsed = parsedWithout(elided);
        assert.deepEqual(restoreLongStrings(parsed, elided.strings), body);
      }),
      { numRuns: 300 },
    );
  });

  it('strings of many pieces: cut between characters and escapes, never inside one; a bad byte anywhere found', () => {
    const unit = fc.constantFrom('\\', '\\\\', 'é', '😀', '\n', '"', 'ab', '\u2028', '\u0001');
    fc.assert(
      fc.property(fc.array(unit, { minLength: 1, maxLength: 12 }), fc.nat(), fc.boolean(), (units, at, spoil) => {
        let content = units.join('');
        content = content.repeat(Math.ceil((5 * LONG) / content.length)); // several pieces
        const body = { model: 'g', messages: [{ role: 'user', content }] };
        let text = JSON.stringify(body);
        if (spoil) {
          const start = text.indexOf('"content":"') + 11;
          const k = start + (at % (text.length - start - 4));
          text = `${text.slice(0, k)}\u0007${text.slice(k)}`; // a raw control character: never JSON
        }
        const elided = elideLongStrings(Buffer.from(text));
        let whole: unknown;
        try {
          whole = JSON.parse(text);
        } catch {
          // Refused either way: nothing left out, or a text without the strings that JSON.parse refuses too.
          if (elided !== null) assert.throws(() => JSON.parse(elided.text));
          return;
        }
        assert.ok(elided);
        assert.deepEqual(restoreLongStrings(parsedWithout(elided), elided.strings), whole);
      }),
      { numRuns: 300 },
    );
  });

  it('a string JSON.parse would refuse is not left out: the whole text is parsed, and refused', () => {
    const pad = 'x'.repeat(LONG);
    for (const bad of ['\u0001', '\t', '\\x', '\\u12g4', '\\u12', '\\']) {
      const text = `{"model":"g","messages":[{"role":"user","content":"${pad}${bad}"}]}`;
      assert.equal(elideLongStrings(Buffer.from(text)), null, JSON.stringify(bad));
      assert.throws(() => JSON.parse(text));
    }
    // Escapes that are fine, at the very end of the string too.
    for (const good of ['\\u00e9', '\\"', '\\\\', '\\/', '\\b\\f\\n\\r\\t']) {
      const text = `{"model":"g","messages":[{"role":"user","content":"${pad}${good}"}]}`;
      const elided = elideLongStrings(Buffer.from(text));
      assert.ok(elided, good);
      assert.deepEqual(restoreLongStrings(parsedWithout(elided), elided.strings), JSON.parse(text));
    }
  });

  it('only long values inside messages: not keys, not short strings, not other members', () => {
    const long = 'y'.repeat(LONG);
    const body = { model: 'g', user: long, messages: [{ role: 'user', [long]: 1, content: 'hi' }] };
    assert.equal(elideLongStrings(Buffer.from(JSON.stringify(body))), null);
    const two = { model: 'g', messages: [{ role: 'user', content: [{ type: 'text', text: long }, { text: long }] }] };
    const elided = elideLongStrings(Buffer.from(JSON.stringify(two)));
    assert.equal(elided?.strings.at.length, 4, 'both long strings');
    assert.equal(elideLongStrings(Buffer.from('{"model":"g","messages":[{"role":"user","content":"hi"}]}')), null);
    assert.equal(elideLongStrings(Buffer.from(`{"model":"g","messages":1,"messages":["${long}"]}`)), null);
  });

  it('a text with stand-ins is invalid exactly when the body is: a broken body around a long string', () => {
    const long = 'z'.repeat(LONG);
    for (const text of [
      `{"model":"g","messages":[{"role":"user","content":"${long}"}`, // not closed
      `{"model":"g","messages":[{"role":"user" "content":"${long}"}]}`, // a comma missing
      `{"model":"g","messages":[{"role":"user","content":"${long}" x}]}`,
    ]) {
      const elided = elideLongStrings(Buffer.from(text));
      assert.throws(() => JSON.parse(text));
      if (elided !== null) assert.throws(() => JSON.parse(elided.text), text.slice(-30));
    }
  });

  it('the upstream body is the client bytes; a messages array made anew gets the strings, not the stand-ins', () => {
    const content = 'é'.repeat(LONG);
    const text = JSON.stringify({ model: 'client', messages: [{ role: 'user', content }] });
    const bytes = Buffer.from(text);
    const elided = elideLongStrings(bytes);
    assert.ok(elided);
    const payload = parsedWithout(elided);
    const client = new ClientJson({ bytes, ascii: false, elided }, payload);
    payload.model = 'up';
    const first = client.encode(payload);
    assert.equal(first?.bytes.toString(), JSON.stringify({ model: 'up', messages: [{ role: 'user', content }] }));
    client.release(payload);
    // A later attempt whose call path built its own messages from the parsed ones (before they were let go of).
    const again = parsedWithout(elided);
    payload.messages = [...(again.messages as unknown[]), { role: 'user', content: 'more' }];
    const second = client.encode(payload);
    const want = {
      model: 'up',
      messages: [
        { role: 'user', content },
        { role: 'user', content: 'more' },
      ],
    };
    assert.equal(second?.bytes.toString(), JSON.stringify(want));
    client.restore(payload);
    assert.deepEqual(payload, want);
  });

  it('restore before anything was sent (a provider with its own format) puts the strings back', () => {
    const content = 'q'.repeat(LONG) + '\\"';
    const text = `{"model":"c","messages":[{"role":"user","content":"${content}"}],"max_tokens":5}`;
    const bytes = Buffer.from(text);
    const elided = elideLongStrings(bytes);
    assert.ok(elided);
    const payload = parsedWithout(elided);
    new ClientJson({ bytes, ascii: true, elided }, payload).restore(payload);
    assert.deepEqual(payload, JSON.parse(text));
  });
});
