import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { sendRaw } from '../../src/common/http/raw-head';

/** The raw header lines of a GET answer (name and value pairs, as sent, in order; Date left out) and its body. */
function get(port: number, path: string): Promise<{ status: number; head: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    request({ port, path, host: '127.0.0.1' }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const head: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2)
          if (res.rawHeaders[i] !== 'Date') head.push(res.rawHeaders[i], res.rawHeaders[i + 1]);
        resolve({ status: res.statusCode!, head, body });
      });
    })
      .on('error', reject)
      .end();
  });
}

/**
 * sendRaw writes the headers Node would, in the same order, with the same refusals: checked here and handed over as
 * Node's own record of set headers, or left to Node's writeHead when anything is unusual.
 */
describe('raw answers (sendRaw)', () => {
  let app: FastifyInstance;
  let port: number;
  const errors: string[] = [];
  /** What Node's getHeader answers after each answer: only the checked path records its headers where it reads. */
  const recorded = new Map<string, unknown>();
  const answer = (path: string, own: string[], prepare?: (reply: FastifyReply) => void) =>
    app.get(path, (_req, reply) => {
      reply.header('x-request-id', 'req-1');
      prepare?.(reply);
      try {
        sendRaw(reply, 201, own, Buffer.from('{"ok":true}'));
        recorded.set(path, reply.raw.getHeader('content-length'));
      } catch (err) {
        errors.push((err as { code?: string }).code ?? 'none');
        reply.raw.writeHead(500).end();
      }
    });

  before(async () => {
    app = Fastify();
    answer('/plain', ['content-type', 'application/json', 'x-litellm-key-spend', '0.25', 'x-v', 'caf\u00e9\tok']);
    answer('/replaced', ['x-request-id', 'mine', 'x-a', '1']);
    answer('/upper', ['X-Upper', 'v']);
    answer('/twice', ['x-a', '1', 'x-a', '2']);
    answer('/list', ['x-a', '1'], (reply) => void reply.header('set-cookie', ['a=1', 'b=2']));
    answer('/bad-value', ['x-a', 'line\nbreak']);
    answer('/bad-char', ['x-a', '\u0100']);
    answer('/bad-name', ['x a', '1']);
    answer('/set-before', ['x-a', '1'], (reply) => reply.raw.setHeader('x-raw', 'r'));
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as AddressInfo).port;
  });
  after(() => app.close());

  it("sends the reply's headers, then its own, then the length, as they are", async () => {
    const r = await get(port, '/plain');
    assert.equal(r.status, 201);
    assert.equal(r.body, '{"ok":true}');
    assert.deepEqual(r.head.slice(0, 10), [
      'x-request-id',
      'req-1',
      'content-type',
      'application/json',
      'x-litellm-key-spend',
      '0.25',
      'x-v',
      'caf\u00e9\tok',
      'content-length',
      '11',
    ]);
    assert.equal(recorded.get('/plain'), '11');
  });

  it("replaces a reply header of the same name; repeated names, lists and capitals go to Node's writeHead", async () => {
    assert.deepEqual((await get(port, '/replaced')).head.slice(0, 4), ['x-request-id', 'mine', 'x-a', '1']);
    assert.deepEqual((await get(port, '/upper')).head.slice(0, 4), ['x-request-id', 'req-1', 'X-Upper', 'v']);
    assert.deepEqual((await get(port, '/twice')).head.slice(2, 6), ['x-a', '1', 'x-a', '2']);
    const list = (await get(port, '/list')).head;
    assert.deepEqual(list.slice(2, 6), ['set-cookie', 'a=1', 'set-cookie', 'b=2']);
    const before = (await get(port, '/set-before')).head;
    assert.ok(before.includes('x-raw') && before.includes('x-a'), before.join(' '));
    assert.equal(recorded.get('/twice'), undefined);
  });

  it('refuses what Node refuses, with its errors', async () => {
    errors.length = 0;
    for (const path of ['/bad-value', '/bad-char', '/bad-name']) assert.equal((await get(port, path)).status, 500);
    assert.deepEqual(errors, ['ERR_INVALID_CHAR', 'ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN']);
  });
});
