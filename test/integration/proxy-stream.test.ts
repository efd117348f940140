import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { InProcessGateway } from '../support/gateway';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import { chatChunks, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-test-master-key-stream-1234';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('proxy streaming: hang-ups, mid-stream failures, stalls', () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let client: OpenAI;
  let setup: ProxySetup | undefined;

  before(async () => {
    setup = await startProxy({
      apiKey: MASTER,
      yaml: (upstream) => `
model_list:
  - model_name: chat
    litellm_params: { model: openai/chat-up, api_base: ${upstream}, api_key: sk-upstream-stream-key, stream_timeout: 0.5, timeout: 30 }
general_settings:
  master_key: ${MASTER}
router_settings:
  num_retries: 0
  allowed_fails: 1000
`,
    });
    ({ up, gw, client } = setup);
  });
  after(() => setup?.close());
  beforeEach(() => up.reset());

  /** The access-log lines of model calls so far: status, and whether the client hung up. */
  const accessLines = () =>
    gw.logs.lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'request' && l.path === '/v1/chat/completions')
      .map((l) => ({ status: l.status, ...(l.aborted ? { aborted: true } : {}) }));
  const post = (body: object, signal?: AbortSignal) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }], ...body }),
      signal,
    });

  it('aborts the upstream request within a second when the client hangs up mid-stream', async () => {
    const words = Array.from({ length: 100 }, (_, i) => ` w${i}`);
    up.respondWith({ sse: chatChunks(words), delayMs: 100 });
    const ac = new AbortController();
    const r = await post({ stream: true }, ac.signal);
    assert.equal(r.status, 200);
    const reader = r.body!.getReader();
    const { value } = await reader.read();
    assert.ok(value && value.length > 0);
    const hungUpAt = Date.now();
    ac.abort();
    assert.equal(up.requests.length, 1);
    const closed = await Promise.race([up.requests[0].closed, sleep(5_000).then(() => null)]);
    assert.ok(closed, 'the upstream request was never closed');
    assert.equal(closed.aborted, true);
    assert.ok(closed.at - hungUpAt < 1_000, `upstream closed ${closed.at - hungUpAt} ms after the hang-up`);
    assert.deepEqual(accessLines().at(-1), { status: 200, aborted: true }, 'an abandoned stream is in the access log');
  });

  it('aborts the upstream request when the client hangs up before a non-streamed answer', async () => {
    up.respondWith({ hang: true });
    const ac = new AbortController();
    const pending = post({}, ac.signal).catch((err: Error) => err);
    for (let i = 0; i < 100 && up.requests.length === 0; i++) await sleep(20);
    assert.equal(up.requests.length, 1);
    const hungUpAt = Date.now();
    ac.abort();
    assert.ok((await pending) instanceof Error);
    const closed = await Promise.race([up.requests[0].closed, sleep(5_000).then(() => null)]);
    assert.ok(closed, 'the upstream request was never closed');
    assert.ok(closed.at - hungUpAt < 1_000, `upstream closed ${closed.at - hungUpAt} ms after the hang-up`);
    await sleep(50);
    assert.deepEqual(
      accessLines().at(-1),
      { status: 499, aborted: true },
      'an abandoned call is in the access log, as 499',
    );
  });

  it('ends the stream with an error event when the upstream connection breaks mid-stream', async () => {
    up.respondWith({ sse: chatChunks(['one', ' two', ' three']), resetAfter: 3, delayMs: 20 });
    const r = await post({ stream: true });
    assert.equal(r.status, 200);
    const events = (await r.text()).split('\n\n').filter(Boolean);
    assert.equal(events.length, 4);
    assert.match(events[2], /" two"/);
    const last = JSON.parse(events[3].slice('data: '.length));
    assert.equal(last.error.type, 'api_error');
    assert.equal(last.error.code, 'upstream_error');
    assert.match(last.error.message, /upstream stream failed/i);
    assert.ok(!events.includes('data: [DONE]'));

    // The official client surfaces it as an error after the chunks it got.
    up.respondWith({ sse: chatChunks(['one', ' two', ' three']), resetAfter: 3 });
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    let text = '';
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
      })(),
      (err: unknown) => err instanceof OpenAI.APIError && /upstream stream failed/i.test(err.message),
    );
    assert.equal(text, 'one two');
  });

  it('ends the stream with an error event when an upstream event grows past 4 MiB without ending', async () => {
    const endless = Buffer.alloc(64 * 1024, 'x');
    const chunks = chatChunks(['one']);
    let sent = 0;
    const more = async () => {
      sent += endless.length;
      await sleep(1);
    };
    // One event that never ends: 'data: {"x":"xxxx...' for ~6 MiB, sent 64 KiB at a time.
    up.respondWith({
      sse: [chunks[0], 'data: {"x":"', ...Array.from({ length: 96 }, () => [more, endless]).flat()],
      done: false,
    });
    const r = await post({ stream: true });
    assert.equal(r.status, 200);
    const events = (await r.text()).split('\n\n').filter(Boolean);
    assert.equal(events.length, 2, 'the complete event, then the error; the oversized one is never passed on');
    const last = JSON.parse(events[1].slice('data: '.length));
    assert.equal(last.error.code, 'upstream_error');
    assert.match(last.error.message, /larger than 4 MiB/);
    assert.ok(sent < 6 * 1024 * 1024, `the upstream call was aborted (${sent} bytes sent)`);
  });

  it('ends the stream with a timeout error event when the upstream stalls past stream_timeout', async () => {
    const chunks = chatChunks(['one', ' two']);
    up.respondWith({ sse: [chunks[0], chunks[1], () => sleep(8_000), chunks[2]] });
    const started = Date.now();
    const r = await post({ stream: true });
    const events = (await r.text()).split('\n\n').filter(Boolean);
    assert.ok(Date.now() - started < 8_000, 'the gateway waited for the stalled upstream');
    assert.equal(events.length, 3);
    const last = JSON.parse(events[2].slice('data: '.length));
    assert.equal(last.error.code, 'upstream_timeout');
    assert.equal((await up.requests[0].closed).aborted, true);
  });

  it('adds [DONE] when the upstream ends without it, and keeps events split across network chunks whole', async () => {
    const [c0, c1, c2] = chatChunks(['héllo wörld 🌍']).map((c) => `data: ${JSON.stringify(c)}\n\n`);
    const bytes = Buffer.from(c0 + c1 + c2);
    const cut = bytes.indexOf(Buffer.from('🌍')) + 2; // inside the emoji's UTF-8 bytes
    up.respondWith({ sse: [bytes.subarray(0, cut), bytes.subarray(cut)], done: false, delayMs: 30 });
    const stream = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'héllo wörld 🌍');
    const r = await post({ stream: true });
    const body = await r.text();
    assert.ok(body.endsWith('data: [DONE]\n\n'));
    assert.equal(body.split('data: [DONE]').length, 2);
  });
});
