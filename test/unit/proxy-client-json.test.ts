import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ClientJson, restringifiable } from '../../src/proxy/upstream/client-json';
import { jsonMembers, MAX_RAW_DEPTH } from '../../src/proxy/upstream/json-members';
import { elideLongStrings } from '../../src/proxy/upstream/long-strings';

/**
 * A body as the gateway's parser takes it: its bytes, whether they are ASCII, and what JSON.parse makes of it (of the
 * text without its long strings when it has any in `messages`, as for a chat call).
 */
function received(text: string): { client: ClientJson; payload: Record<string, unknown> } {
  const bytes = Buffer.from(text);
  const elided = elideLongStrings(bytes);
  const payload = JSON.parse(elided?.text ?? text) as Record<string, unknown>;
  return { client: new ClientJson({ bytes, ascii: text.length === bytes.length, elided }, payload), payload };
}

function encoded(client: ClientJson, payload: Record<string, unknown>): { text: string; chars: number } {
  const out = client.encode(payload);
  assert.ok(out, 'encoded from the client bytes');
  return { text: out.bytes.toString('utf8'), chars: out.chars() };
}

/** The top-level changes the call path makes: a value replaced, a field added, one removed, one set undefined. */
const edits = fc.array(
  fc.tuple(
    fc.constantFrom('model', 'stream_options', 'user', 'previous_response_id', 'temperature', '0', 'n'),
    fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined), fc.constantFrom('delete', 'restore')),
  ),
  { maxLength: 4 },
);

/** `restore`: the field set back to the very value parsed (as a retry sets the client's own stream_options back). */
function applyEdits(
  payload: Record<string, unknown>,
  list: [string, unknown][],
  parsed: Record<string, unknown>,
): void {
  for (const [key, value] of list) {
    if (value === 'delete') delete payload[key];
    else if (value === 'restore') {
      if (key in parsed) payload[key] = parsed[key];
      else delete payload[key];
    } else payload[key] = value;
  }
}

/** Bodies of ASCII text, and of any characters (those beyond U+FFFF too: two units of a JavaScript string each). */
const bodies = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }),
  fc.dictionary(fc.string({ maxLength: 12, unit: 'binary' }), fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }), {
    maxKeys: 8,
  }),
);

describe('the client body sent on as its own bytes', () => {
  it('a compact body with any top-level changes, attempt after attempt, comes out exactly as JSON.stringify writes it', () => {
    fc.assert(
      fc.property(bodies, fc.array(edits, { minLength: 1, maxLength: 3 }), (body, attempts) => {
        const text = JSON.stringify(body);
        const { client, payload } = received(text);
        const parsed = { ...payload };
        for (const list of attempts) {
          applyEdits(payload, list, parsed);
          const out = encoded(client, payload);
          const want = JSON.stringify(payload);
          assert.equal(out.text, want);
          assert.equal(out.chars, want.length);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a body spaced out by the client keeps its own spacing and numbers and reads back as the changed payload', () => {
    fc.assert(
      fc.property(bodies, edits, (body, list) => {
        const text = JSON.stringify(body, null, 2);
        const { client, payload } = received(text);
        applyEdits(payload, list, { ...payload });
        const out = encoded(client, payload);
        assert.deepEqual(JSON.parse(out.text), JSON.parse(JSON.stringify(payload)));
        assert.equal(out.chars, out.text.length);
      }),
      { numRuns: 300 },
    );
  });

  it('numbers, escapes and characters beyond ASCII are sent as the client wrote them', () => {
    const text =
      '{ "model" : "group", "seed": 12345678901234567890, "t": 1.0E0, "s": "a\\"b\\\\", ' +
      '"k\\u0065y": "\\u00e9 é 😀", "m": [ {"role":"user"} ] }';
    const { client, payload } = received(text);
    payload.model = 'upstream-model';
    const out = encoded(client, payload);
    assert.equal(
      out.text,
      '{"model":"upstream-model","seed": 12345678901234567890, "t": 1.0E0, "s": "a\\"b\\\\", ' +
        '"k\\u0065y": "\\u00e9 é 😀", "m": [ {"role":"user"} ]}',
    );
    assert.equal(out.chars, out.text.length);
  });

  it('long strings and escaped quotes past the near scan are skipped whole', () => {
    const long = 'x'.repeat(5000) + '\\"' + 'y'.repeat(100) + '\\\\';
    const text = `{"messages":[{"role":"user","content":"${long}"}],"model":"g","z":"${long}"}`;
    const { client, payload } = received(text);
    payload.model = 'u';
    assert.equal(encoded(client, payload).text, JSON.stringify(payload));
  });

  it('a key given twice, nesting past the bound, or a byte order mark: left to JSON.stringify', () => {
    assert.equal(jsonMembers(Buffer.from('{"model":"a","x":1,"model":"b"}')), null);
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    assert.equal(jsonMembers(Buffer.from(`{"model":"a","x":${deep(MAX_RAW_DEPTH + 1)}}`)), null);
    assert.ok(jsonMembers(Buffer.from(`{"model":"a","x":${deep(MAX_RAW_DEPTH)}}`)));
    assert.equal(jsonMembers(Buffer.from('\ufeff{"model":"a"}')), null);
    const { client, payload } = received('{"model":"a","x":1,"model":"b"}');
    assert.equal(client.encode(payload), null);
  });

  it('long values let go of once sent still come out, attempt after attempt, as JSON.stringify writes the payload', () => {
    fc.assert(
      fc.property(
        bodies,
        fc.constantFrom('messages', 'user'),
        fc.array(edits, { minLength: 1, maxLength: 3 }),
        (body, longKey, attempts) => {
          const text = JSON.stringify({ ...body, [longKey]: [{ role: 'user', content: 'é'.repeat(10_000) }] });
          const { client, payload } = received(text);
          const kept = JSON.parse(text) as Record<string, unknown>; // the same changes, never let go of
          const parsed = { ...payload };
          const keptParsed = { ...kept };
          for (const list of attempts) {
            applyEdits(payload, list, parsed);
            applyEdits(kept, list, keptParsed);
            const out = encoded(client, payload);
            client.release(payload);
            const want = JSON.stringify(kept);
            assert.equal(out.text, want);
            assert.equal(out.chars, want.length);
          }
          client.restore(payload);
          assert.deepEqual(payload, kept);
          assert.equal(encoded(client, payload).text, JSON.stringify(kept));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('only long members are let go of, and restore puts back what the bytes hold', () => {
    const content = 'x'.repeat(20_000);
    const { client, payload } = received(
      JSON.stringify({ model: 'g', messages: [{ role: 'user', content }], tools: [{ a: 1 }] }),
    );
    const messages = payload.messages;
    const tools = payload.tools;
    payload.model = 'u';
    encoded(client, payload);
    client.release(payload);
    assert.notEqual(payload.messages, messages, 'the parsed prompt is no longer held');
    assert.equal(payload.tools, tools);
    assert.equal(payload.model, 'u');
    client.restore(payload);
    assert.deepEqual(payload.messages, [{ role: 'user', content }]);
    client.restore(payload); // twice: nothing more to do
    assert.deepEqual(payload, { model: 'u', messages: [{ role: 'user', content }], tools: [{ a: 1 }] });
  });

  it("a new model no longer than the client's is written into the received buffer: the prompt is not copied", () => {
    // Long enough to have a memory of its own (shorter buffers share Node's pool).
    const text = `{"model":"client-model","messages":[{"role":"user","content":"${'x'.repeat(10_000)}"}]}`;
    const bytes = Buffer.from(text);
    const payload = JSON.parse(text) as Record<string, unknown>;
    const client = new ClientJson({ bytes, ascii: text.length === bytes.length, elided: null }, payload);
    payload.model = 'upstream';
    const first = client.encode(payload);
    assert.equal(first?.bytes.buffer, bytes.buffer);
    assert.equal(first?.bytes.toString(), JSON.stringify(payload));
    payload.model = 'a-much-longer-upstream-model-name'; // the next attempt: written out anew, the first left as sent
    const sentFirst = first?.bytes.toString();
    const second = client.encode(payload);
    assert.notEqual(second?.bytes.buffer, bytes.buffer);
    assert.equal(second?.bytes.toString(), JSON.stringify(payload));
    assert.equal(first?.bytes.toString(), sentFirst);
  });

  it('a short body is not let go of', () => {
    const { client, payload } = received('{"model":"g","messages":[{"role":"user","content":"hi"}]}');
    const messages = payload.messages;
    encoded(client, payload);
    client.release(payload);
    assert.equal(payload.messages, messages);
  });

  it('members are found with their keys as JSON.parse reads them', () => {
    const members = jsonMembers(Buffer.from(' {\n "a" : 1 , "b\\u0063":{"x":[1,"]"]},"":null}\n'));
    assert.deepEqual([...(members ?? new Map()).keys()], ['a', 'bc', '']);
  });

  it('a small body is written out again only when JSON.stringify keeps its values (no rounded integer, no overflow)', () => {
    assert.equal(restringifiable(JSON.parse('{"model":"m","messages":[{"role":"user","content":"hi"}],"n":1}')), true);
    assert.equal(restringifiable(JSON.parse('{"temperature":0.12345678901234567891,"seed":9007199254740991}')), true);
    assert.equal(restringifiable(JSON.parse('{"seed":12345678901234567891}')), false);
    assert.equal(restringifiable(JSON.parse('{"x":{"y":[1,-9007199254740993]}}')), false);
    assert.equal(restringifiable(JSON.parse('{"x":[1e400]}')), false);
    // A body of many values is not looked through (the member-copying path takes it).
    assert.equal(restringifiable({ x: Array.from({ length: 300 }, () => 1) }), false);
    fc.assert(
      fc.property(bodies, (body) => {
        const text = JSON.stringify(body);
        if (restringifiable(JSON.parse(text) as Record<string, unknown>))
          assert.deepEqual(JSON.parse(JSON.stringify(JSON.parse(text))), JSON.parse(text));
      }),
    );
  });
});
