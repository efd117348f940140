import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { chatRequestSchema } from '../../src/proxy/dto/request-schemas';
import { isPlainChatBody, validateBody } from '../../src/proxy/dto/validate-body';

/** JSON values biased towards the shapes the schema tells apart (missing, null, wrong type, empty, valid). */
const anyJson = fc.jsonValue({ maxDepth: 2 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(fc.oneof(arb, anyJson), { nil: undefined });
const message = fc.oneof(fc.record({ role: fc.oneof(fc.string(), anyJson), content: anyJson }, { requiredKeys: [] }), anyJson);
const body = fc.record(
  {
    model: maybe(fc.string()),
    messages: maybe(fc.array(message, { maxLength: 4 })),
    stream: maybe(fc.constantFrom(true, false, null)),
    stream_options: maybe(fc.oneof(fc.constant(null), fc.record({ include_usage: fc.oneof(fc.boolean(), fc.constant(null), anyJson) }, { requiredKeys: [] }))),
    temperature: maybe(fc.double()),
  },
  { requiredKeys: [] },
);

describe('chat body check without zod', () => {
  it('accepts exactly the bodies the chat schema accepts', () => {
    fc.assert(
      fc.property(body, (b) => {
        const parsed = JSON.parse(JSON.stringify(b)) as Record<string, unknown>; // as the body parser hands it over
        assert.equal(isPlainChatBody(parsed), chatRequestSchema.safeParse(parsed).success, JSON.stringify(parsed));
      }),
      { numRuns: 5000 },
    );
  });

  it('hands back the body itself, and still names the offending field when it is refused', () => {
    const ok = { model: 'gpt', messages: [{ role: 'user', content: 'hi', extra: 1 }], stream: null, stream_options: { include_usage: true }, seed: 7 };
    assert.equal(validateBody('chat', ok), ok);
    assert.deepEqual(ok, { model: 'gpt', messages: [{ role: 'user', content: 'hi', extra: 1 }], stream: null, stream_options: { include_usage: true }, seed: 7 });
    assert.throws(() => validateBody('chat', { model: 'gpt', messages: [{ role: 'user' }, { content: 'x' }] }), (err: Error & { param?: unknown }) => {
      assert.match(err.message, /'messages\[1\]\.role'/);
      return true;
    });
    assert.throws(() => validateBody('chat', { model: 'gpt', messages: [{ role: 'user' }], stream: 'yes' }), /'stream' must be a boolean/);
    assert.throws(() => validateBody('chat', { model: '', messages: [{ role: 'user' }] }), /'model' must not be empty/);
  });
});
