import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { validateBody } from '../../src/proxy/dto/validate-body';
import { GatewayError } from '../../src/common/errors/gateway-error';

/**
 * The contract of the two hot bodies, written as zod schemas: the oracle the gateway's plain checks are held to
 * (same bodies accepted, the same field named first). Loose objects: other fields pass through.
 */
const model = z.string().min(1);
const chatSchema = z.looseObject({
  model,
  messages: z.array(z.looseObject({ role: z.string() })).min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
});
const tokens = z.array(z.number().int()).min(1);
const embeddingsSchema = z.looseObject({
  model,
  input: z.union([z.string(), z.array(z.string()).min(1), tokens, z.array(tokens).min(1)]),
});

/** JSON values biased towards the shapes the schema tells apart (missing, null, wrong type, empty, valid). */
const anyJson = fc.jsonValue({ maxDepth: 2 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(fc.oneof(arb, anyJson), { nil: undefined });
const message = fc.oneof(
  fc.record({ role: fc.oneof(fc.string(), anyJson), content: anyJson }, { requiredKeys: [] }),
  anyJson,
);
const chatBody = fc.record(
  {
    model: maybe(fc.string()),
    messages: maybe(fc.array(message, { maxLength: 4 })),
    stream: maybe(fc.constantFrom(true, false, null)),
    stream_options: maybe(
      fc.oneof(
        fc.constant(null),
        fc.record({ include_usage: fc.oneof(fc.boolean(), fc.constant(null), anyJson) }, { requiredKeys: [] }),
      ),
    ),
    temperature: maybe(fc.double()),
  },
  { requiredKeys: [] },
);
const token = fc.oneof(fc.integer(), fc.constantFrom(1.5, 2 ** 60, -0, -7), anyJson);
const embeddingsBody = fc.record(
  {
    model: maybe(fc.string()),
    input: maybe(
      fc.oneof(
        fc.string(),
        fc.array(fc.oneof(fc.string(), anyJson), { maxLength: 4 }),
        fc.array(token, { maxLength: 4 }),
        fc.array(fc.array(token, { maxLength: 3 }), { maxLength: 3 }),
      ),
    ),
  },
  { requiredKeys: [] },
);

/** What validateBody says: null (accepted, the same object handed back) or the param it names. */
function verdict(op: 'chat' | 'embeddings', body: Record<string, unknown>): string | null {
  try {
    assert.equal(validateBody(op, body), body);
    return null;
  } catch (err) {
    assert.ok(err instanceof GatewayError && err.status === 400, String(err));
    return String(err.param);
  }
}

const pathOf = (path: PropertyKey[]) =>
  path.reduce<string>(
    (acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
    '',
  );

describe('request body checks (chat, embeddings)', () => {
  it('chat: accepts exactly the bodies the schema accepts, and names the field of its first issue', () => {
    fc.assert(
      fc.property(chatBody, (b) => {
        const parsed = JSON.parse(JSON.stringify(b)) as Record<string, unknown>; // as the body parser hands it over
        const oracle = chatSchema.safeParse(parsed);
        const param = verdict('chat', parsed);
        assert.equal(param === null, oracle.success, JSON.stringify(parsed));
        if (!oracle.success) assert.equal(param, pathOf(oracle.error.issues[0].path), JSON.stringify(parsed));
      }),
      { numRuns: 5000 },
    );
  });

  it('embeddings: accepts exactly the bodies the schema accepts, naming the first bad element within input', () => {
    fc.assert(
      fc.property(embeddingsBody, (b) => {
        const parsed = JSON.parse(JSON.stringify(b)) as Record<string, unknown>;
        const oracle = embeddingsSchema.safeParse(parsed);
        const param = verdict('embeddings', parsed);
        assert.equal(param === null, oracle.success, JSON.stringify(parsed));
        if (!oracle.success) {
          const first = pathOf(oracle.error.issues[0].path);
          assert.ok(
            param === first || param!.startsWith(`${first}[`),
            `${param} within ${first}: ${JSON.stringify(parsed)}`,
          );
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('hands back the body itself, and names the offending field when it is refused', () => {
    const ok = {
      model: 'gpt',
      messages: [{ role: 'user', content: 'hi', extra: 1 }],
      stream: null,
      stream_options: { include_usage: true },
      seed: 7,
    };
    assert.equal(validateBody('chat', ok), ok);
    assert.deepEqual(ok, {
      model: 'gpt',
      messages: [{ role: 'user', content: 'hi', extra: 1 }],
      stream: null,
      stream_options: { include_usage: true },
      seed: 7,
    });
    assert.throws(
      () => validateBody('chat', { model: 'gpt', messages: [{ role: 'user' }, { content: 'x' }] }),
      /'messages\[1\]\.role'/,
    );
    assert.throws(
      () => validateBody('chat', { model: 'gpt', messages: [{ role: 'user' }], stream: 'yes' }),
      /'stream' must be a boolean/,
    );
    assert.throws(() => validateBody('chat', { model: '', messages: [{ role: 'user' }] }), /'model' must not be empty/);
    assert.throws(
      () => validateBody('embeddings', { model: 'e', input: [[1, 2], []] }),
      /'input\[1\]' must not be an empty token array/,
    );
    assert.throws(
      () => validateBody('embeddings', { model: 'e', input: [true] }),
      /'input\[0\]' must be a string, a token id or a token array/,
    );
  });
});
