import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { spawnGateway, writeConfig, type SpawnedGateway } from '../support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { createTestDatabase } from '../support/postgres';
import { assertOpenAIError, rssOf } from '../support/raw-http';
import { startUpstream, type FakeUpstream } from '../support/upstream';

/**
 * Property tests against the production build: arbitrary credentials in the three credential
 * headers are never accepted unless they are a valid credential and never answered with a 5xx; arbitrary JSON
 * bodies on the model routes and the key management routes are answered 2xx or a 4xx in the OpenAI shape; the
 * process's memory stays bounded over thousands of such requests. FUZZ_RUNS scales the run counts (default 1).
 */
const SCALE = Number(process.env.FUZZ_RUNS ?? '1');
const runs = (n: number) => Math.max(10, Math.round(n * SCALE));
const MASTER = 'sk-fuzz-master-0c4e77a1';
const HEADERS = ['authorization', 'api-key', 'x-litellm-api-key'] as const;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Header-safe characters (what an HTTP client can send): tab, printable ASCII, and bytes 0x80-0xff. */
const headerChar = fc
  .oneof(fc.constant('\t'), fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }))
  .map((c) => (typeof c === 'string' ? c : String.fromCharCode(c)));
const headerText = (maxLength: number) => fc.string({ unit: headerChar, maxLength });

/**
 * A change that makes `token` a different credential: a character replaced, inserted or removed, or text added at
 * either end (never whitespace only, which the gateway trims). In a JWT, a segment's last character is not
 * replaced: its low bits may be padding, so another letter can decode to the same bytes (the same token).
 */
function mutation(token: string) {
  const safeIndex = (i: number) => i < token.length - 1 && token[i + 1] !== '.' && token[i] !== '.';
  return fc.oneof(
    fc
      .tuple(fc.nat(token.length - 1), fc.constantFrom(...B64URL, '.', '~', '+', '/', '='))
      .filter(([i, c]) => token[i] !== c && (!token.includes('.') || safeIndex(i)))
      .map(([i, c]) => token.slice(0, i) + c + token.slice(i + 1)),
    fc
      .tuple(fc.nat(token.length), fc.constantFrom(...B64URL, '.', '%'))
      .map(([i, c]) => token.slice(0, i) + c + token.slice(i)),
    fc.nat(token.length - 1).map((i) => token.slice(0, i) + token.slice(i + 1)),
    fc
      .tuple(
        headerText(20).filter((s) => s.trim().length > 0),
        fc.boolean(),
      )
      .map(([s, front]) => (front ? s.trim() + token : token + s.trim())),
  );
}

describe('property tests on credentials and bodies (production build)', () => {
  let upstream: FakeUpstream;
  let idp: TestOidcProvider;
  let gw: SpawnedGateway;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let virtualKey: string;
  let teamJwt: string;
  let rssAfterWarmup = 0;
  const statuses = new Map<number, number>();

  before(async () => {
    upstream = await startUpstream();
    idp = await startOidcProvider({ clients: [{ clientId: 'team-fuzz' }] });
    db = await createTestDatabase();
    // Thousands of made-up credentials from one address on purpose: the per-address limit of failed credentials
    // (429 after max_auth_failures_per_minute; tested in keys-scale) would answer most of them.
    const config = writeConfig(`general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
  max_auth_failures_per_minute: 0
model_list:
  - model_name: gpt
    litellm_params:
      model: openai/gpt-upstream
      api_base: ${upstream.url}/v1
      api_key: fuzz-upstream-key
  - model_name: az
    litellm_params:
      model: azure/dep1
      api_base: ${upstream.url}
      api_key: fuzz-azure-key
router_settings:
  num_retries: 0
`);
    // A capped old space makes V8 collect instead of growing lazily (so RSS reflects live memory), and turns a
    // real leak into a crash over longer runs (FUZZ_RUNS).
    const env = {
      DATABASE_URL: db.url,
      JWT_PUBLIC_KEY_URL: idp.jwksUri,
      JWT_AUDIENCE: idp.audience,
      NODE_OPTIONS: '--max-old-space-size=256',
    };
    gw = await spawnGateway(['--config', config], env, 60_000);
    const gen = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{"models":["gpt"]}',
    });
    virtualKey = ((await gen.json()) as { key: string }).key;
    teamJwt = await idp.token('team-fuzz');
    // Recording every upstream request would grow this process, not the gateway: keep none.
    upstream.respondWith((req) => {
      upstream.requests.length = 0;
      return req.path.endsWith('/embeddings')
        ? {
            json: {
              object: 'list',
              data: [{ object: 'embedding', index: 0, embedding: [0.1] }],
              model: 'm',
              usage: { prompt_tokens: 1, total_tokens: 1 },
            },
          }
        : req.body?.stream === true
          ? {
              sse: [
                {
                  id: 'c',
                  object: 'chat.completion.chunk',
                  created: 1,
                  model: 'm',
                  choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }],
                },
              ],
            }
          : {
              json: {
                id: 'c',
                object: 'chat.completion',
                created: 1,
                model: 'm',
                choices: [{ index: 0, message: { role: 'assistant', content: 'x' }, finish_reason: 'stop' }],
                usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
              },
            };
    });
  });

  after(async () => {
    const code = await gw?.stop('SIGTERM');
    await upstream?.close();
    await idp?.stop();
    await db?.drop();
    assert.equal(code, 0, 'the gateway stopped cleanly');
  });

  /** Sends one request; asserts no 5xx, and the OpenAI error shape on every 4xx. */
  async function call(path: string, init: RequestInit, what: () => string): Promise<number> {
    const r = await fetch(gw.url + path, init);
    const text = await r.text();
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    assert.ok(r.status < 500, `${r.status} for ${what()}: ${text.slice(0, 300)}`);
    if (r.status >= 400) assertOpenAIError(text, what());
    return r.status;
  }

  const valid = () => [MASTER, virtualKey, teamJwt];

  it('credentials: arbitrary or near-miss values in any of the three headers are 401, never 5xx; valid ones (in any header, any spacing) are accepted', async () => {
    const tokenArb = fc.oneof(
      { weight: 3, arbitrary: headerText(200).map((t) => ({ token: t, valid: false })) },
      { weight: 1, arbitrary: headerText(40).map((t) => ({ token: `sk-${t}`, valid: false })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(headerText(30), headerText(30), headerText(30))
          .map(([a, b, c]) => ({ token: `${a}.${b}.${c}`, valid: false })),
      },
      { weight: 4, arbitrary: fc.nat(2).chain((i) => mutation(valid()[i]).map((t) => ({ token: t, valid: false }))) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.nat(2), fc.constantFrom('', ' ', '  ', '\t'))
          .map(([i, ws]) => ({ token: `${ws}${valid()[i]}${ws}`, valid: true })),
      },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...HEADERS),
        fc.constantFrom('Bearer ', 'bearer ', 'BEARER\t'),
        tokenArb,
        async (header, scheme, { token, valid: isValid }) => {
          const value = header === 'authorization' ? scheme + token : token;
          const status = await call(
            '/v1/models',
            { headers: { [header]: value } },
            () => `${header}: ${JSON.stringify(value.slice(0, 80))}`,
          );
          if (isValid) assert.equal(status, 200, `a valid credential in ${header} was refused`);
          else assert.equal(status, 401, `${header}: ${JSON.stringify(value.slice(0, 80))} was not refused with 401`);
        },
      ),
      { numRuns: runs(1500) },
    );
    // Other schemes, or several headers at once, are never a server error either.
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...HEADERS), headerText(120), { maxKeys: 3 }), async (headers) => {
        const status = await call('/v1/models', { headers }, () => JSON.stringify(headers));
        assert.ok(status === 200 || status === 401, `${status}`);
      }),
      { numRuns: runs(300) },
    );
    rssAfterWarmup = await rssOf(gw.proc.pid!);
  });

  /** Any UTF-16 code unit: NUL, controls, and unpaired surrogates included (JSON.stringify escapes them). */
  const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
  const anyString = fc.oneof(fc.string(), fc.string({ unit: utf16Unit, maxLength: 12 }));
  const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 3, stringUnit: utf16Unit }));
  const message = fc.oneof(
    anyJson,
    fc.record(
      {
        role: fc.oneof(fc.constantFrom('user', 'system', 'assistant'), anyJson),
        content: fc.oneof(anyString, anyJson),
      },
      { requiredKeys: [] },
    ),
  );
  const chatBody = fc.oneof(
    anyJson,
    fc.record(
      {
        model: fc.oneof(fc.constantFrom('gpt', 'az', 'nope', ''), anyJson),
        messages: fc.oneof(fc.array(message, { maxLength: 4 }), anyJson),
        stream: fc.oneof(fc.boolean(), anyJson),
        stream_options: fc.oneof(
          fc.record({ include_usage: fc.oneof(fc.boolean(), anyJson) }, { requiredKeys: [] }),
          anyJson,
        ),
        temperature: anyJson,
        extra: anyJson,
      },
      { requiredKeys: [] },
    ),
  );
  const embeddingsBody = fc.oneof(
    anyJson,
    fc.record(
      {
        model: fc.oneof(fc.constantFrom('gpt', 'az'), anyJson),
        input: fc.oneof(
          fc.string(),
          fc.array(anyString),
          fc.array(fc.integer()),
          fc.array(fc.array(fc.integer())),
          anyJson,
        ),
        dimensions: anyJson,
      },
      { requiredKeys: [] },
    ),
  );

  it('model routes: arbitrary JSON bodies (and near-valid ones) are answered 2xx or an OpenAI-shaped 4xx', async () => {
    const auth = fc.constantFrom(`Bearer ${MASTER}`, `Bearer ${virtualKey}`, `Bearer ${teamJwt}`);
    await fc.assert(
      fc.asyncProperty(
        auth,
        fc.constantFrom('/v1/chat/completions', '/chat/completions', '/openai/deployments/az/chat/completions'),
        chatBody,
        async (authorization, path, body) => {
          await call(
            path,
            {
              method: 'POST',
              headers: { authorization, 'content-type': 'application/json' },
              body: JSON.stringify(body),
            },
            () => `${path} ${JSON.stringify(body).slice(0, 200)}`,
          );
        },
      ),
      { numRuns: runs(1000) },
    );
    await fc.assert(
      fc.asyncProperty(
        auth,
        fc.constantFrom('/v1/embeddings', '/openai/deployments/gpt/embeddings'),
        embeddingsBody,
        async (authorization, path, body) => {
          await call(
            path,
            {
              method: 'POST',
              headers: { authorization, 'content-type': 'application/json' },
              body: JSON.stringify(body),
            },
            () => `${path} ${JSON.stringify(body).slice(0, 200)}`,
          );
        },
      ),
      { numRuns: runs(500) },
    );
  });

  it('key management: arbitrary JSON bodies and queries are answered 2xx or an OpenAI-shaped 4xx', async () => {
    // Mostly well-typed fields (so bodies get past validation and reach the database), sometimes anything.
    const typed = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: anyJson });
    const keyRef = fc.oneof(
      fc.constant(virtualKey),
      anyString.map((s) => `sk-${s}`),
      anyString,
    );
    const fields = {
      key_alias: typed(anyString),
      models: typed(fc.array(anyString, { maxLength: 3 })),
      duration: typed(fc.oneof(fc.constantFrom('30s', '1h', '7d', '1mo', '0s', '-1d', '99999999y'), anyString)),
      max_budget: typed(fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double())),
      rpm_limit: typed(fc.integer()),
      max_parallel_requests: typed(fc.nat()),
      metadata: typed(fc.dictionary(anyString, anyJson, { maxKeys: 3 })),
      team_id: typed(anyString),
      user_id: typed(anyString),
      allowed_routes: typed(
        fc.array(fc.oneof(fc.constantFrom('openai_routes', '/chat/completions', '/x*', '*', ''), anyString), {
          maxLength: 3,
        }),
      ),
      blocked: typed(fc.boolean()),
    };
    const opt = { requiredKeys: [] as never[] };
    const bodies = {
      '/key/generate': fc.record(
        { ...fields, key: typed(fc.string({ unit: fc.constantFrom(...B64URL), minLength: 20 }).map((s) => `sk-${s}`)) },
        opt,
      ),
      '/key/update': fc.record({ ...fields, key: keyRef }, opt),
      '/key/regenerate': fc.record({ ...fields, key: keyRef }, opt),
      '/key/delete': fc.record(
        { keys: typed(fc.array(keyRef, { maxLength: 3 })), key_aliases: typed(fc.array(anyString, { maxLength: 3 })) },
        opt,
      ),
      '/key/block': fc.record({ key: typed(keyRef) }, opt),
      '/key/unblock': fc.record({ key: typed(keyRef) }, opt),
    };
    const request = fc.oneof(
      ...Object.entries(bodies).map(([path, body]) => ({
        weight: 2,
        arbitrary: fc.tuple(fc.constant(path), body as fc.Arbitrary<unknown>),
      })),
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...Object.keys(bodies)), anyJson as fc.Arbitrary<unknown>) },
    );
    const headers = { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' };
    await fc.assert(
      fc.asyncProperty(request, async ([path, body]) => {
        await call(
          path,
          { method: 'POST', headers, body: JSON.stringify(body) },
          () => `${path} ${JSON.stringify(body).slice(0, 200)}`,
        );
      }),
      { numRuns: runs(500) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/key/info', '/key/list'),
        fc.dictionary(
          fc.constantFrom('key', 'page', 'size', 'team_id', 'key_alias', 'return_full_object', 'x'),
          anyString,
        ),
        async (path, query) => {
          const q = new URLSearchParams(query).toString();
          await call(`${path}?${q}`, { headers }, () => `${path}?${q}`);
        },
      ),
      { numRuns: runs(200) },
    );
  });

  it('memory stays bounded over all of the above', async (t) => {
    assert.ok(rssAfterWarmup > 0, 'measured after the first property');
    const rss = await rssOf(gw.proc.pid!);
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    assert.ok(total >= runs(4000) * 0.9, `${total} requests were made`);
    // Generous: a leak of 32 KB per request over these thousands would cross it; GC and JIT noise will not.
    const growth = rss - rssAfterWarmup;
    assert.ok(
      growth < 128 * 1024 * 1024,
      `RSS grew by ${Math.round(growth / 1048576)} MB over ${total} requests (${JSON.stringify(Object.fromEntries(statuses))})`,
    );
    t.diagnostic(
      `statuses ${JSON.stringify(Object.fromEntries(statuses))}; RSS ${Math.round(rss / 1048576)} MB, grew ${Math.round(growth / 1048576)} MB`,
    );
    assert.doesNotMatch(gw.output(), /"msg":"unhandled error"/);
  });
});
