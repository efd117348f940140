import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { timed, waitFor } from '../support/faults';
import { freePort, readJson, spawnGateway, writeConfig, type SpawnedGateway } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';
import {
  chatChunks,
  chatCompletion,
  errorBody,
  startUpstream,
  type Answer,
  type FakeUpstream,
} from '../support/upstream';

/**
 * Upstream faults against the production build, called with the official `openai` client (no client retries):
 * each fault alone in a group ("-only": what the caller gets) and beside a healthy deployment ("-pair": retried
 * there). Complements test/integration/proxy-router.test.ts and proxy-stream.test.ts (in-process, router rules).
 */
const MASTER = 'sk-faults-upstream-master-0001';
const TIMEOUT_S = 0.5;
const RETRIES = 2;
/** Any answer, even after every attempt timed out, comes within this (attempts x timeout, plus a wide margin). */
const BOUND_MS = (RETRIES + 1) * TIMEOUT_S * 1000 + 4_000;

let releaseStalls: () => void = () => undefined;
const stalled = new Promise<void>((r) => (releaseStalls = r));
const GOOD = chatCompletion('from the healthy deployment');

/** What each faulty upstream model answers (the deployment is told apart by its upstream model name). */
const FAULTS: Record<string, Answer> = {
  cut: {
    raw: JSON.stringify(chatCompletion('cut short')),
    status: 200,
    headers: { 'content-type': 'application/json' },
    cutAfterBytes: 40,
  },
  slow: { json: chatCompletion('too late'), delayMs: 5_000 },
  garbage: {
    raw: '<html><body>upstream proxy error</body></html>',
    status: 200,
    headers: { 'content-type': 'application/json' },
  },
  truncated: {
    raw: '{"id":"chatcmpl-x","object":"chat.completion","choices":[{"index":0,',
    status: 200,
    headers: { 'content-type': 'application/json' },
  },
  empty: { raw: '', status: 200, headers: { 'content-type': 'application/json' } },
  limited: { json: errorBody('Rate limit reached', 'rate_limit_error'), status: 429, headers: { 'retry-after': '7' } },
  error: { json: errorBody('The server had an error', 'server_error'), status: 500 },
  'stall-stream': { sse: [...chatChunks(['one', ' two']).slice(0, 2), () => stalled] },
};

describe('upstream faults through the production build and the openai client', () => {
  let up: FakeUpstream;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let gw: SpawnedGateway;
  let client: OpenAI;
  const hits = (name: string) => up.requests.filter((r) => r.body?.model === name);

  before(async () => {
    up = await startUpstream(
      (req) => FAULTS[req.body?.model] ?? (req.body?.stream ? { sse: chatChunks(['ok']) } : { json: GOOD }),
    );
    db = await createTestDatabase('gw_faults_upstream');
    const dead = `http://127.0.0.1:${await freePort()}`;
    const dep = (group: string, model: string, extra = '', base = up.url) => `
  - model_name: ${group}
    litellm_params: { model: openai/${model}, api_base: ${base}, api_key: sk-up-faults-secret, timeout: ${TIMEOUT_S}, stream_timeout: ${TIMEOUT_S}${extra} }
    model_info: { id: ${group}:${model} }`;
    let models =
      dep('healthy', 'good') +
      dep('refused-only', 'refused', '', dead) +
      dep('refused-pair', 'refused', ', weight: 100', dead) +
      dep('refused-pair', 'good', ', weight: 1');
    for (const fault of ['cut', 'slow', 'garbage', 'truncated', 'empty', 'limited', 'error']) {
      models +=
        dep(`${fault}-only`, fault) +
        dep(`${fault}-pair`, fault, ', weight: 100') +
        dep(`${fault}-pair`, 'good', ', weight: 1');
    }
    models += dep('stall-stream-only', 'stall-stream');
    const file = writeConfig(`model_list:${models}
general_settings:
  master_key: ${MASTER}
router_settings:
  num_retries: ${RETRIES}
  allowed_fails: 1000
  cooldown_time: 1
`);
    gw = await spawnGateway(['--config', file], { DATABASE_URL: db.url });
    client = new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 60_000 });
  });
  after(async () => {
    releaseStalls();
    const code = await gw?.stop();
    await up?.close();
    await db?.drop();
    assert.equal(code, 0, 'the gateway exits 0 on SIGTERM after all of it');
  });

  const create = (model: string) =>
    timed(() => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).withResponse());
  /** The APIError the client throws for `model`, and how long the call took. */
  const failure = async (model: string, stream = false) => {
    const { value, ms } = await timed(async () => {
      try {
        await client.chat.completions.create({ model, stream, messages: [{ role: 'user', content: 'hi' }] });
      } catch (err) {
        return err;
      }
      return null;
    });
    assert.ok(value instanceof OpenAI.APIError, `${model}: expected an APIError, got ${String(value)}`);
    assert.ok(ms < BOUND_MS, `${model}: answered after ${Math.round(ms)} ms`);
    return value;
  };

  const pairs: { fault: string; reason: RegExp }[] = [
    { fault: 'refused', reason: /connection refused/ },
    { fault: 'cut', reason: /closed|reset|shorter/ },
    { fault: 'slow', reason: /no response within the timeout/ },
    { fault: 'garbage', reason: /not JSON/ },
    { fault: 'truncated', reason: /not JSON/ },
    { fault: 'empty', reason: /not JSON/ },
    { fault: 'limited', reason: /HTTP 429/ },
    { fault: 'error', reason: /HTTP 500/ },
  ];

  for (const { fault, reason } of pairs) {
    it(`${fault}: retried on the healthy deployment of the group; the caller gets a normal answer`, async () => {
      for (let i = 0; i < 3; i++) {
        const { value, ms } = await create(`${fault}-pair`);
        assert.equal(value.data.choices[0].message.content, 'from the healthy deployment');
        assert.equal(value.response.headers.get('x-litellm-model-id'), `${fault}-pair:good`);
        assert.ok(ms < BOUND_MS, `took ${Math.round(ms)} ms`);
      }
      if (fault !== 'refused')
        assert.ok(hits(fault).length >= 1, `the ${fault} deployment was never tried (weight 100 against 1)`);
      // The log line was written before the answer; it may reach this process's pipe a little later.
      const warned = () =>
        gw
          .output()
          .split('\n')
          .filter((l) => l.includes('upstream attempt failed') && l.includes(`"deployment":"${fault}-pair:${fault}"`));
      await waitFor(() => warned().length >= 1, `the warning about the ${fault} deployment`, 5_000);
      assert.match(warned()[0], reason);
    });
  }

  it('refused connection, reset mid-body, invalid JSON with 200, 500 (alone): 502 in the OpenAI shape, no upstream detail', async () => {
    for (const group of ['refused-only', 'cut-only', 'garbage-only', 'truncated-only', 'empty-only', 'error-only']) {
      const err = await failure(group);
      assert.equal(err.status, 502, `${group}: ${err.message}`);
      assert.equal(err.type, 'api_error');
      assert.equal(err.code, 'upstream_error');
      assert.match(err.message, /3 attempts/);
      assert.doesNotMatch(err.message, /127\.0\.0\.1|sk-up|<html>|server had an error/);
    }
    for (const fault of ['garbage', 'truncated', 'empty'])
      assert.equal(hits(fault).length >= 3, true, `${fault}: every attempt reached it`);
  });

  it('slow headers beyond the timeout (alone): 504 after the attempts, each upstream request closed', async () => {
    const before = hits('slow').length;
    const err = await failure('slow-only');
    assert.equal(err.status, 504);
    assert.equal(err.code, 'upstream_timeout');
    const tried = hits('slow').slice(before);
    assert.equal(tried.length, RETRIES + 1);
    for (const r of tried) assert.equal((await r.closed).aborted, true, 'a timed-out upstream request was left open');
  });

  it("429 with retry-after (alone): 429 with the upstream's retry-after", async () => {
    const err = await failure('limited-only');
    assert.equal(err.status, 429);
    assert.equal(err.code, 'upstream_rate_limited');
    assert.equal(err.headers?.get('retry-after'), '7');
  });

  it('a streaming call whose upstream fails before answering gets a plain 502, not a broken stream', async () => {
    const err = await failure('error-only', true);
    assert.equal(err.status, 502);
  });

  it('a stream that stalls mid-way beyond stream_timeout ends with an error the client sees; the upstream request is closed', async () => {
    const { value, ms } = await timed(async () => {
      const stream = await client.chat.completions.create({
        model: 'stall-stream-only',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      const got: string[] = [];
      try {
        for await (const chunk of stream) got.push(chunk.choices[0]?.delta?.content ?? '');
      } catch (err) {
        return { got, err };
      }
      return { got, err: null };
    });
    assert.ok(value.err instanceof OpenAI.APIError, `the stream ended without an error: ${String(value.err)}`);
    assert.match(value.err.message, /timed out|stalled|timeout/i);
    assert.deepEqual(value.got, ['', 'one'], 'the chunks before the stall were passed on');
    assert.ok(ms < TIMEOUT_S * 1000 + 4_000, `took ${Math.round(ms)} ms`);
    const req = hits('stall-stream').at(-1)!;
    assert.equal((await req.closed).aborted, true);
  });

  it('after all of it the process still answers, never answered 500, and logged no crash', async () => {
    assert.equal((await fetch(`${gw.url}/health/liveliness`)).status, 200);
    const { value } = await create('healthy');
    assert.equal(value.data.choices[0].message.content, 'from the healthy deployment');
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'healthy', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal((await readJson(r)).choices[0].message.content, 'from the healthy deployment');
    const out = gw.output();
    assert.doesNotMatch(out, /uncaught|unhandled|"status":500/i);
    assert.ok(!out.includes('sk-up-faults-secret'), 'the upstream key is in the logs');
  });
});
