import assert from 'node:assert/strict';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { FastifyReply } from 'fastify';
import { rawHead, sendRaw } from '../../src/common/http/raw-head';

/** A reply as sendRaw uses it: Fastify's own headers, hijack, and a real Node response that records its head. */
function fakeReply(headers: Record<string, string | number | string[] | undefined>) {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  let hijacked = false;
  const reply = {
    raw: res,
    getHeaders: () => ({ ...headers }),
    hijack: () => {
      hijacked = true;
    },
  } as unknown as FastifyReply;
  return { reply, res, hijacked: () => hijacked };
}

/** The head Node wrote, as [name, value] lines in order (status line, Date and Connection left out). */
function written(res: ServerResponse): string[][] {
  const head = (res as unknown as { _header: string })._header;
  return head
    .split('\r\n')
    .slice(1)
    .filter((l) => l !== '' && !/^(date|connection|keep-alive):/i.test(l))
    .map((l) => l.split(': '));
}

describe('answer heads written past Fastify (sendRaw, rawHead)', () => {
  it("appends the reply's headers to the answer's own list in place, its own names taking precedence", () => {
    const { reply } = fakeReply({ 'x-request-id': 'r1', 'content-type': 'text/plain', 'x-gone': undefined });
    const head = ['content-type', 'application/json', 'x-litellm-call-id', 'r1'];
    const out = rawHead(reply, head);
    assert.equal(out, head);
    assert.deepEqual(out, ['content-type', 'application/json', 'x-litellm-call-id', 'r1', 'x-request-id', 'r1']);
  });

  it("writes every value of a reply's list header and numbers as text", () => {
    const { reply } = fakeReply({ 'x-many': ['a', 'b'], 'x-n': 3 });
    assert.deepEqual(rawHead(reply, ['x-own', '1']), ['x-own', '1', 'x-many', 'a', 'x-many', 'b', 'x-n', '3']);
  });

  it('sends status, own headers, Content-Length and the reply headers once each, then the body', () => {
    const { reply, res, hijacked } = fakeReply({ 'x-request-id': 'req-7', 'content-length': '999' });
    const ratelimit = [
      'x-ratelimit-limit-requests',
      '100',
      'x-ratelimit-remaining-requests',
      '99',
      'x-ratelimit-limit-tokens',
      '1000',
      'x-ratelimit-remaining-tokens',
      '1000',
    ];
    sendRaw(reply, 201, ['content-type', 'application/json', ...ratelimit], Buffer.from('{"ok":true}'));
    assert.ok(hijacked());
    assert.equal(res.statusCode, 201);
    assert.deepEqual(written(res), [
      ['content-type', 'application/json'],
      ['x-ratelimit-limit-requests', '100'],
      ['x-ratelimit-remaining-requests', '99'],
      ['x-ratelimit-limit-tokens', '1000'],
      ['x-ratelimit-remaining-tokens', '1000'],
      ['content-length', '11'],
      ['x-request-id', 'req-7'],
    ]);
  });

  it('still refuses a header Node refuses', () => {
    const { reply } = fakeReply({});
    assert.throws(() => sendRaw(reply, 200, ['x-bad', 'a\r\nb'], Buffer.from('')), /Invalid character/);
  });
});
