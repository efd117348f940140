import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { NOT_JSON, usageFromJson, usageOfAnswer } from '../../src/proxy/streaming/usage';

const read = (o: unknown, space?: number) => usageFromJson(Buffer.from(JSON.stringify(o, null, space)));

describe('usage from a JSON answer', () => {
  it('reads prompt and completion tokens, compact or pretty, in any key order', () => {
    const usage = {
      prompt_tokens_details: { cached_tokens: 3 },
      completion_tokens: 7,
      prompt_tokens: 11,
      total_tokens: 18,
    };
    const body = { id: 'x', choices: [{ message: { content: 'hi' } }], usage };
    assert.deepEqual(read(body), { promptTokens: 11, completionTokens: 7 });
    assert.deepEqual(read(body, 2), { promptTokens: 11, completionTokens: 7 });
    assert.deepEqual(read({ data: [], usage: { prompt_tokens: 4, total_tokens: 4 } }), {
      promptTokens: 4,
      completionTokens: 0,
    });
  });

  it('answers null without usage, and is not fooled by "usage" inside message text', () => {
    assert.equal(read({ id: 'x' }), null);
    assert.equal(read({ id: 'x', usage: null }), null);
    const tricky = {
      choices: [{ message: { content: 'my "usage": {"prompt_tokens": 999}' } }],
      usage: { prompt_tokens: 2, completion_tokens: 1 },
    };
    assert.deepEqual(read(tricky), { promptTokens: 2, completionTokens: 1 });
    const onlyText = { choices: [{ message: { content: '"usage": {"prompt_tokens": 999}' } }] };
    assert.equal(read(onlyText), null);
  });

  it('agrees with JSON.parse on arbitrary answers', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.nat(),
        fc.option(fc.nat(), { nil: undefined }),
        fc.boolean(),
        (content, p, c, pretty) => {
          const usage: Record<string, unknown> = { prompt_tokens: p, total_tokens: p + (c ?? 0) };
          if (c !== undefined) usage.completion_tokens = c;
          const body = { choices: [{ message: { content } }], usage };
          assert.deepEqual(read(body, pretty ? 2 : undefined), { promptTokens: p, completionTokens: c ?? 0 });
        },
      ),
    );
  });
});

describe('usage from a JSON answer: the usage object read in one pass', () => {
  it('reads only its own top-level counters, whatever its detail objects and strings hold', () => {
    const detail = fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.nat(), fc.constant(null)));
    fc.assert(
      fc.property(
        fc.nat(),
        fc.option(fc.nat(), { nil: undefined }),
        detail,
        detail,
        fc.string(),
        fc.boolean(),
        fc.boolean(),
        (p, c, d1, d2, note, first, pretty) => {
          // Detail objects may themselves hold "prompt_tokens" keys, braces and quotes in strings: none of it counts.
          const details = {
            prompt_tokens_details: { ...d1, prompt_tokens: 999 },
            completion_tokens_details: { ...d2, note: `{"completion_tokens": 5} ${note}` },
          };
          const counters: Record<string, unknown> = {
            prompt_tokens: p,
            ...(c === undefined ? {} : { completion_tokens: c }),
          };
          const usage = first ? { ...counters, ...details } : { ...details, ...counters };
          assert.deepEqual(read({ id: 'x', usage }, pretty ? 2 : undefined), {
            promptTokens: p,
            completionTokens: c ?? 0,
          });
        },
      ),
    );
  });

  it('falls back to JSON.parse for counters that are not whole numbers, and for a usage object that never closes', () => {
    assert.equal(read({ usage: { prompt_tokens: null, completion_tokens: 1 } }), null);
    assert.deepEqual(read({ usage: { prompt_tokens: 2, completion_tokens: 'x' } }), {
      promptTokens: 2,
      completionTokens: 0,
    });
    // A counter with a fraction or an exponent is read by JSON.parse, not cut at its dot
    assert.deepEqual(read({ usage: { prompt_tokens: 2.5, completion_tokens: 1 } }), {
      promptTokens: 2.5,
      completionTokens: 1,
    });
    assert.deepEqual(read({ usage: { prompt_tokens: 2, completion_tokens: 1.5 } }), {
      promptTokens: 2,
      completionTokens: 1.5,
    });
    assert.deepEqual(usageFromJson(Buffer.from('{"usage":{"prompt_tokens":2,"completion_tokens":1E2}}')), {
      promptTokens: 2,
      completionTokens: 100,
    });
    assert.equal(usageFromJson(Buffer.from('{"usage":{"prompt_tokens":3,"completion_tokens":1')), null);
    // Past 2^53 a digit-by-digit sum rounds differently from JSON.parse: such a counter is parsed
    const big = '{"usage":{"prompt_tokens":457736600753962050,"completion_tokens":9007199254740993}}';
    assert.deepEqual(usageFromJson(Buffer.from(big)), {
      promptTokens: 457736600753962050,
      completionTokens: 9007199254740992,
    });
  });
});

describe('usage of a non-streamed answer, which must be JSON', () => {
  const of = (text: string) => usageOfAnswer(Buffer.from(text));

  it('reads the usage of a JSON object, or null when it has none', () => {
    assert.deepEqual(of(' {"id":"x","usage":{"prompt_tokens":3,"completion_tokens":2}}\n'), {
      promptTokens: 3,
      completionTokens: 2,
    });
    assert.equal(of('{"id":"x","choices":[]}'), null);
    assert.equal(of('{"id":"x","usage":null}'), null);
  });

  it('tells bodies that are not a JSON object apart: HTML, truncated, empty, an array, braces around garbage', () => {
    for (const text of [
      '<html>502</html>',
      '{"id":"x","choices":[{"index":0,',
      '',
      '   ',
      '[{"usage":{"prompt_tokens":1}}]',
      '{ not json }',
      'null',
    ]) {
      assert.equal(of(text), NOT_JSON, JSON.stringify(text));
    }
  });

  it('never calls a serialised object "not JSON"', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.boolean(), (obj, pretty) => {
        assert.notEqual(usageOfAnswer(Buffer.from(JSON.stringify(obj, null, pretty ? 2 : undefined))), NOT_JSON);
      }),
    );
  });
});
