import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MAX_SSE_EVENT_BYTES,
  SSE_DONE,
  SseEventTooLarge,
  SseRelay,
  sseError,
} from '../../src/proxy/streaming/sse-relay';

const ev = (o: object) => `data: ${JSON.stringify(o)}\n\n`;
const chunk = (content: string) =>
  ev({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }], usage: null });
/** Feeds text (as UTF-8 bytes) and reads what the relay passes on as text. */
const push = (relay: SseRelay, text: string | Buffer) =>
  relay.push(Buffer.isBuffer(text) ? text : Buffer.from(text)).toString('utf8');
const usageChunk = ev({
  object: 'chat.completion.chunk',
  choices: [],
  usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
});

describe('SSE relay', () => {
  it('passes long events (held in pieces) on whole, wherever the chunks cut them, CRLF or LF', () => {
    const big = (n: number, sep: string) =>
      `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'x'.repeat(n) } }] })}${sep}`;
    for (const sep of ['\n\n', '\r\n\r\n']) {
      const text =
        big(300_000, sep) + chunk('after') + big(70_000, sep) + usageChunk.replace(/\n\n$/, sep) + 'data: [DONE]' + sep;
      const bytes = Buffer.from(text);
      for (const size of [1_000, 4_096, 65_537, 100_003]) {
        const relay = new SseRelay(false);
        const out: Buffer[] = [];
        for (let at = 0; at < bytes.length; at += size) out.push(relay.push(bytes.subarray(at, at + size)));
        out.push(relay.finish());
        assert.equal(Buffer.concat(out).toString('utf8'), text, `${JSON.stringify(sep)} in chunks of ${size}`);
        assert.equal(relay.events, 4);
        assert.deepEqual(relay.usage, { promptTokens: 9, completionTokens: 2 });
      }
    }
    // Every seam position of a CRLF separator split over two chunks.
    const event = big(70_000, '\r\n\r\n');
    for (let cut = event.length - 4; cut <= event.length; cut++) {
      const relay = new SseRelay(false);
      const first = relay.push(Buffer.from(event.slice(0, cut)));
      const rest = relay.push(Buffer.from(event.slice(cut) + chunk('z')));
      assert.equal(Buffer.concat([first, rest]).toString('utf8'), event + chunk('z'), `cut at ${cut}`);
    }
  });

  it('passes complete events through untouched and holds a partial one until it is complete', () => {
    const relay = new SseRelay(false);
    const text = chunk('a') + chunk('b');
    assert.equal(push(relay, text.slice(0, 10)), '');
    assert.equal(push(relay, text.slice(10, chunk('a').length + 5)), chunk('a'));
    assert.equal(push(relay, text.slice(chunk('a').length + 5)), chunk('b'));
    assert.equal(push(relay, SSE_DONE), SSE_DONE);
    assert.equal(relay.finish().toString('utf8'), '');
    assert.equal(relay.sawDone, true);
    assert.equal(relay.events, 2);
  });

  it('reads usage from the final chunk and drops that chunk only when asked to', () => {
    const keep = new SseRelay(false);
    assert.equal(push(keep, chunk('a') + usageChunk + SSE_DONE), chunk('a') + usageChunk + SSE_DONE);
    assert.deepEqual(keep.usage, { promptTokens: 9, completionTokens: 2 });
    const drop = new SseRelay(true);
    assert.equal(push(drop, chunk('a') + usageChunk + SSE_DONE), chunk('a') + SSE_DONE);
    assert.deepEqual(drop.usage, { promptTokens: 9, completionTokens: 2 });
  });

  it('keeps a chunk that carries both choices and usage, and ignores "usage": null and quoted text', () => {
    const both = ev({
      choices: [{ index: 0, delta: { content: 'x' } }],
      usage: { prompt_tokens: 1, completion_tokens: 1 },
    });
    const quoted = chunk('the "usage": {"prompt_tokens": 99} text');
    const relay = new SseRelay(true);
    assert.equal(push(relay, quoted), quoted);
    assert.equal(relay.usage, null);
    assert.equal(push(relay, both), both);
    assert.deepEqual(relay.usage, { promptTokens: 1, completionTokens: 1 });
  });

  it('handles CRLF separators, comments and multi-line data', () => {
    const relay = new SseRelay(true);
    const crlf = `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } })}\r\n\r\n`;
    const comment = ': keep-alive\n\n';
    const multi = 'data: {"choices": [],\ndata: "usage": {"prompt_tokens": 5, "completion_tokens": 6}}\n\n';
    assert.equal(push(relay, comment + crlf), comment);
    assert.deepEqual(relay.usage, { promptTokens: 3, completionTokens: 4 });
    assert.equal(push(relay, multi), '');
    assert.deepEqual(relay.usage, { promptTokens: 5, completionTokens: 6 });
  });

  it('gives the same bytes and usage however the stream is cut into network chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        (words, crlf, cuts) => {
          const sep = crlf ? '\r\n\r\n' : '\n\n';
          const events = [...words.map((w) => chunk(w)), usageChunk, SSE_DONE].map((e) => e.replace(/\n\n$/, sep));
          const whole = Buffer.from(events.join(''));
          const points = [...new Set(cuts.map((c) => c % whole.length))].sort((a, b) => a - b);
          for (const drop of [false, true]) {
            const relay = new SseRelay(drop);
            const out: Buffer[] = [];
            let from = 0;
            for (const p of [...points, whole.length]) {
              out.push(relay.push(whole.subarray(from, p)));
              from = p;
            }
            out.push(relay.finish());
            const expected = drop ? events.filter((e) => !e.includes('"choices":[]')).join('') : events.join('');
            assert.equal(Buffer.concat(out).toString('utf8'), expected);
            assert.deepEqual(relay.usage, { promptTokens: 9, completionTokens: 2 });
            assert.equal(relay.sawDone, true);
          }
        },
      ),
    );
  });

  it('reads usage and drops usage-only chunks exactly as JSON.parse of each chunk decides, whatever the chunk holds', () => {
    // Values that put "usage" and "choices" keys, brackets and quotes where a scan could be fooled: nested objects,
    // strings, arrays; usage counters that are not whole numbers; either key missing, null, or of another type.
    const tricky = fc.jsonValue({ maxDepth: 3 });
    const nested = fc.dictionary(
      fc.constantFrom('usage', 'choices', 'x', 'prompt_tokens'),
      fc.oneof(tricky, fc.constant([]), fc.constant({ prompt_tokens: 7, completion_tokens: 1 })),
    );
    const counter = fc.oneof(
      fc.nat(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constant('3'),
      fc.constant(null),
    );
    const usage = fc.oneof(
      fc.constant(null),
      fc.record({ prompt_tokens: counter, completion_tokens: counter, details: nested }, { requiredKeys: [] }),
      tricky,
    );
    const choices = fc.oneof(
      fc.constant([]),
      fc.array(fc.record({ index: fc.nat(), delta: nested })),
      fc.constant(null),
      fc.string(),
    );
    const chunkObject = fc.record(
      { id: fc.string(), choices, usage, extra: nested, note: fc.string() },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(chunkObject, fc.boolean(), fc.boolean(), (obj, pretty, drop) => {
        const json = pretty ? JSON.stringify(obj, null, 1).replace(/\n/g, ' ') : JSON.stringify(obj);
        const event = `data: ${json}\n\n`;
        const parsed = JSON.parse(json) as { usage?: unknown; choices?: unknown };
        const u = parsed.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | null | undefined;
        const expectedUsage =
          u && typeof u === 'object' && typeof u.prompt_tokens === 'number'
            ? {
                promptTokens: u.prompt_tokens,
                completionTokens: typeof u.completion_tokens === 'number' ? u.completion_tokens : 0,
              }
            : null;
        const dropped = drop && expectedUsage !== null && Array.isArray(parsed.choices) && parsed.choices.length === 0;
        const relay = new SseRelay(drop);
        assert.equal(push(relay, event), dropped ? '' : event);
        assert.deepEqual(relay.usage, expectedUsage);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes no usage from a chunk that is not one JSON object, as JSON.parse would refuse it', () => {
    for (const bad of [
      '{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}',
      '{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}} {}',
    ]) {
      const relay = new SseRelay(true);
      assert.equal(push(relay, `data: ${bad}\n\n`), `data: ${bad}\n\n`);
      assert.equal(relay.usage, null);
    }
  });

  it('never splits a multi-byte character cut between network chunks', () => {
    const relay = new SseRelay(false);
    const bytes = Buffer.from(chunk('wörld 🌍') + SSE_DONE);
    const cut = bytes.indexOf(Buffer.from('🌍')) + 2;
    const first = relay.push(bytes.subarray(0, cut));
    const second = relay.push(bytes.subarray(cut));
    assert.equal(first.length, 0);
    assert.equal(second.toString('utf8'), chunk('wörld 🌍') + SSE_DONE);
  });

  it('ends a stream that stopped without [DONE]: the unterminated event, then [DONE]', () => {
    const relay = new SseRelay(false);
    assert.equal(push(relay, chunk('a') + 'data: {"choices":[]}'), chunk('a'));
    assert.equal(relay.finish().toString('utf8'), 'data: {"choices":[]}\n\n' + SSE_DONE);
  });

  it('ends a long event as soon as its separator is in, even when the separator comes one byte per chunk', () => {
    for (const sep of ['\r\n\r\n', '\n\n']) {
      const relay = new SseRelay(false);
      const event = `data: {"x":"${'y'.repeat(100 * 1024)}"}`;
      assert.equal(push(relay, event), ''); // held in pieces: longer than 64 KiB, not ended yet
      const bytes = [...sep];
      for (const b of bytes.slice(0, -1)) assert.equal(push(relay, b), '');
      assert.equal(push(relay, bytes[bytes.length - 1]), event + sep, JSON.stringify(sep));
    }
  });

  it('fails on an event over the limit, handing over the events that ended before it in the same chunk', () => {
    const relay = new SseRelay(false);
    const before = chunk('a') + chunk('b');
    const big = Buffer.concat([Buffer.from(before + 'data: {"x":"'), Buffer.alloc(MAX_SSE_EVENT_BYTES, 'x')]);
    assert.throws(
      () => relay.push(big),
      (err: unknown) => err instanceof SseEventTooLarge && err.complete.toString('utf8') === before,
    );
    // Held in pieces (the usual way, network chunks of 64 KiB): nothing before it is lost either.
    const held = new SseRelay(false);
    assert.equal(push(held, chunk('c') + 'data: {"x":"'), chunk('c'));
    const piece = Buffer.alloc(64 * 1024, 'x');
    assert.throws(() => {
      for (let sent = 0; sent <= MAX_SSE_EVENT_BYTES; sent += piece.length) assert.equal(held.push(piece).length, 0);
    }, SseEventTooLarge);
  });

  it('writes OpenAI-shaped error events', () => {
    const e = sseError('The upstream stream failed: connection reset', 'upstream_error');
    assert.ok(e.startsWith('data: ') && e.endsWith('\n\n'));
    assert.deepEqual(JSON.parse(e.slice(6)), {
      error: {
        message: 'The upstream stream failed: connection reset',
        type: 'api_error',
        param: null,
        code: 'upstream_error',
      },
    });
  });
});
