import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startGateway, type InProcessGateway } from '../support/gateway';

const MASTER = 'sk-test-master-key-backpressure-1';
const EVENTS = 2048;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The gateway in front of a listening upstream, its one deployment with this `stream_timeout` (seconds). */
function gatewayFor(upstream: Server, streamTimeoutSec: number): Promise<InProcessGateway> {
  return startGateway(`
model_list:
  - model_name: chat
    litellm_params: { model: openai/chat-up, api_base: http://127.0.0.1:${(upstream.address() as AddressInfo).port}, api_key: sk-upstream-bp, stream_timeout: ${streamTimeoutSec} }
general_settings:
  master_key: ${MASTER}
`);
}

async function closeBoth(gw: InProcessGateway | undefined, upstream: Server | undefined): Promise<void> {
  await gw?.close();
  if (!upstream) return;
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
}

/** One SSE chunk of ~16 KB of content. */
function event(i: number): string {
  return `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: `${i}:${'x'.repeat(16_000)}` }, finish_reason: null }] })}\n\n`;
}

describe('proxy streaming: a slow client slows the upstream down (backpressure), nothing is lost', () => {
  let upstream: Server;
  let gw: InProcessGateway;
  let written = 0;
  let total = 0;

  before(async () => {
    // Writes ~32 MB of events as fast as the gateway takes them (waiting for 'drain' when it does not).
    upstream = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const pump = () => {
        while (i < EVENTS) {
          const chunk = event(i++);
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('data: [DONE]\n\n');
      };
      pump();
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    for (let i = 0; i < EVENTS; i++) total += event(i).length;
    // stream_timeout of ~35 days: longer than setTimeout can wait; the pause below must not cut the stream.
    gw = await gatewayFor(upstream, 3_000_000);
  });
  after(() => closeBoth(gw, upstream));

  it('pauses the upstream while the client does not read, then delivers every event and [DONE]', async () => {
    const body = JSON.stringify({
      model: 'chat',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const socket = connect((new URL(gw.url).port as unknown as number) * 1, '127.0.0.1');
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${MASTER}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    socket.pause(); // the client reads nothing for a while
    await sleep(1_500);
    const whilePaused = written;
    assert.ok(whilePaused > 0, 'the upstream started');
    assert.ok(
      whilePaused < total / 2,
      `the upstream wrote ${whilePaused} of ${total} bytes while the client read nothing`,
    );

    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    const closed = new Promise((r) => socket.once('close', r));
    socket.resume();
    await closed;
    const raw = Buffer.concat(received);
    const head = raw.subarray(0, raw.indexOf('\r\n\r\n')).toString();
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.match(head, /transfer-encoding: chunked/i);
    assert.match(head, /connection: close/i, 'the client asked to close the connection after the answer');
    const text = dechunk(raw.subarray(head.length + 4)).toString();
    for (const i of [0, 1, EVENTS / 2, EVENTS - 1]) assert.ok(text.includes(`"content":"${i}:x`), `event ${i} arrived`);
    assert.equal(text.split('"chat.completion.chunk"').length - 1, EVENTS);
    assert.ok(text.endsWith('data: [DONE]\n\n'), 'ends with [DONE]');
    assert.equal(written, total);
  });
});

describe('proxy streaming: a client that stops reading is let go after stream_timeout', () => {
  let upstream: Server;
  let gw: InProcessGateway;
  let upstreamClosed: Promise<number>;

  before(async () => {
    // Streams for ever (as fast as the gateway takes it); records when the gateway drops the call.
    let closedAt!: (t: number) => void;
    upstreamClosed = new Promise((r) => (closedAt = r));
    upstream = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.once('close', () => closedAt(Date.now()));
      let i = 0;
      const pump = () => {
        while (!res.destroyed) if (!res.write(event(i++))) return void res.once('drain', pump);
      };
      pump();
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    gw = await gatewayFor(upstream, 1);
  });
  after(() => closeBoth(gw, upstream));

  it('closes the stalled client connection and aborts the upstream call instead of holding both', async () => {
    const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }], stream: true });
    const socket = connect((new URL(gw.url).port as unknown as number) * 1, '127.0.0.1');
    const started = Date.now();
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${MASTER}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    socket.pause(); // reads nothing, ever
    const closedAt = await Promise.race([upstreamClosed, sleep(10_000).then(() => 0)]);
    assert.ok(closedAt > 0, 'the upstream call was aborted while the client stalled');
    assert.ok(closedAt - started >= 1_000, 'not before stream_timeout');
    // The client's connection was closed by the gateway: once it reads again, it reaches the end.
    const closed = new Promise<boolean>((r) => socket.once('close', () => r(true)));
    socket.on('data', () => undefined);
    socket.resume();
    assert.equal(
      await Promise.race([closed, sleep(10_000).then(() => false)]),
      true,
      'the gateway closed the client connection',
    );
  });
});

/** The body of a chunked HTTP/1.1 answer. */
function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    const size = parseInt(body.subarray(at, eol).toString(), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
