import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessLog, hundredths } from '../../src/logging/access-log';
import { batchingDestination } from '../../src/logging/batching-destination';
import { createLogger } from '../../src/logging/logger';
import { LogCapture, tempDir } from '../support/gateway';

const SECRET = 'master-secret-value';

function request(
  url: string,
  caller?: Record<string, unknown>,
  id = 'req-1',
  headers: Record<string, string> = {},
  route?: string,
): FastifyRequest {
  return { id, method: 'POST', url, caller, headers, routeOptions: { url: route } } as unknown as FastifyRequest;
}
const reply = { statusCode: 201, elapsedTime: 1.23456 } as unknown as FastifyReply;

describe('access log line', () => {
  it('has the shape of a pino info line: level, time, base fields, request fields, msg', () => {
    const out = new LogCapture();
    const log = createLogger({ level: 'info', secrets: [SECRET] }, out);
    log.info({ reqId: 'x' }, 'reference');
    new AccessLog(log, [SECRET]).write(
      request('/v1/chat/completions?api-version=1', {
        role: 'team',
        teamId: 'p"1',
        userId: 'u1',
        token: 'abcdef0123456789ff',
      }),
      reply,
    );
    const [ref, line] = out.lines.map((l) => JSON.parse(l));
    assert.deepEqual(
      Object.keys(line).slice(0, 3),
      Object.keys(ref).slice(0, 3),
      'level, time and base fields first, as pino writes them',
    );
    assert.equal(line.level, 'info');
    assert.equal(line.svc, ref.svc);
    assert.ok(!Number.isNaN(Date.parse(line.time)), 'ISO time');
    assert.deepEqual(
      {
        reqId: line.reqId,
        method: line.method,
        path: line.path,
        status: line.status,
        ms: line.ms,
        role: line.role,
        team: line.team,
        user: line.user,
        key: line.key,
        msg: line.msg,
      },
      {
        reqId: 'req-1',
        method: 'POST',
        path: '/v1/chat/completions',
        status: 201,
        ms: 1.23,
        role: 'team',
        team: 'p"1',
        user: 'u1',
        key: 'abcdef012345',
        msg: 'request',
      },
    );
  });

  it('writes each caller its own fields, for callers seen before too', () => {
    const out = new LogCapture();
    const log = createLogger({ level: 'info', secrets: [SECRET] }, out);
    const access = new AccessLog(log, [SECRET]);
    const key = Object.freeze({ role: 'virtual_key', token: 'aaaaaaaaaaaa0000', teamId: 't1' });
    const jwt = Object.freeze({ role: 'team', teamId: `team-${SECRET}`, userId: 'u"2' });
    // Callers with no field a client chose: their fields are written as they come, not kept.
    const plain = Object.freeze({ role: 'virtual_key', token: 'bbbbbbbbbbbb1111' });
    const master = Object.freeze({ role: 'master' });
    for (const c of [key, jwt, plain, key, undefined, master, jwt, plain])
      access.write(request('/v1/models', c), reply);
    const fields = out.lines
      .map((l) => JSON.parse(l))
      .map(({ role, team, user, key, key_alias }) => ({ role, team, user, key, key_alias }));
    const keyFields = { role: 'virtual_key', team: 't1', user: undefined, key: 'aaaaaaaaaaaa', key_alias: undefined };
    const jwtFields = { role: 'team', team: 'team-[REDACTED]', user: 'u"2', key: undefined, key_alias: undefined };
    const plainFields = {
      role: 'virtual_key',
      team: undefined,
      user: undefined,
      key: 'bbbbbbbbbbbb',
      key_alias: undefined,
    };
    const masterFields = { role: 'master', team: undefined, user: undefined, key: undefined, key_alias: undefined };
    const none = { role: undefined, team: undefined, user: undefined, key: undefined, key_alias: undefined };
    assert.deepEqual(fields, [
      keyFields,
      jwtFields,
      plainFields,
      keyFields,
      none,
      masterFields,
      jwtFields,
      plainFields,
    ]);
  });

  it('leaves out caller fields for a request without a caller, and scrubs secrets and keys from the path', () => {
    const out = new LogCapture();
    const log = createLogger({ level: 'info', secrets: [SECRET] }, out);
    const access = new AccessLog(log, [SECRET]);
    access.write(request(`/key/sk-abcdefgh12345678/regenerate`), reply);
    access.write(request(`/x/${SECRET}`), reply);
    const [a, b] = out.lines.map((l) => JSON.parse(l));
    assert.equal(a.role, undefined);
    assert.equal(a.path, '/key/sk-[REDACTED]/regenerate');
    assert.equal(b.path, '/x/[REDACTED]');
    assert.doesNotMatch(out.text(), /abcdefgh12345678|master-secret-value/);
  });

  it('logs each request its own path: a declared route as kept, one with a route parameter as sent, scrubbed', () => {
    const out = new LogCapture();
    const log = createLogger({ level: 'info', secrets: [SECRET] }, out);
    const access = new AccessLog(log, [SECRET]);
    const azure = '/openai/deployments/:model/chat/completions';
    access.write(request('/v1/chat/completions', undefined, 'a', {}, '/v1/chat/completions'), reply);
    access.write(request('/openai/deployments/gpt-a/chat/completions', undefined, 'b', {}, azure), reply);
    access.write(request(`/openai/deployments/${SECRET}/chat/completions`, undefined, 'c', {}, azure), reply);
    access.write(request('/v1/chat/completions?x=1', undefined, 'd', {}, '/v1/chat/completions'), reply);
    access.write(request('/v1/chat/completions/', undefined, 'e', {}, '/v1/chat/completions'), reply);
    assert.deepEqual(
      out.lines.map((l) => JSON.parse(l).path),
      [
        '/v1/chat/completions',
        '/openai/deployments/gpt-a/chat/completions',
        '/openai/deployments/[REDACTED]/chat/completions',
        '/v1/chat/completions',
        '/v1/chat/completions/',
      ],
    );
  });

  it('scrubs a request id the client sent (x-request-id), and writes one the gateway made up as it is', () => {
    const out = new LogCapture();
    const log = createLogger({ level: 'info', secrets: [SECRET] }, out);
    const access = new AccessLog(log, [SECRET]);
    access.write(
      request('/v1/models', undefined, 'sk-abcdefgh12345678', { 'x-request-id': 'sk-abcdefgh12345678' }),
      reply,
    );
    access.write(request('/v1/models', undefined, SECRET, { 'x-request-id': SECRET }), reply);
    access.write(request('/v1/models', undefined, '1f2e3d4c-2a', { 'x-request-id': 'bad id!' }), reply);
    const [a, b, c] = out.lines.map((l) => JSON.parse(l));
    assert.equal(a.reqId, 'sk-[REDACTED]');
    assert.equal(b.reqId, '[REDACTED]');
    assert.equal(c.reqId, '1f2e3d4c-2a');
    assert.doesNotMatch(out.text(), /abcdefgh12345678|master-secret-value/);
  });

  it('hands its lines to a batching destination as batched lines', () => {
    const out = Object.assign(new LogCapture(), {
      batched: [] as string[],
      batch(line: string) {
        this.batched.push(line);
      },
    });
    const log = createLogger({ level: 'info', secrets: [] }, out);
    new AccessLog(log, []).write(request('/v1/models'), reply);
    assert.equal(out.lines.length, 0);
    assert.equal(out.batched.length, 1);
    assert.equal(JSON.parse(out.batched[0]).path, '/v1/models');
  });

  it('keeps lines in the order they were logged: an ordinary line writes the queued access lines first', async () => {
    const file = join(tempDir('gw-log-'), 'out.log');
    const dest = batchingDestination(file);
    await once(dest, 'ready');
    const log = createLogger({ level: 'info', secrets: [] }, dest);
    const access = new AccessLog(log, []);
    access.write(request('/v1/a'), reply);
    access.write(request('/v1/b'), reply);
    log.warn('after two requests');
    access.write(request('/v1/c'), reply);
    log.info('stopped');
    dest.flushSync();
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { path?: string; msg: string });
    assert.deepEqual(
      lines.map((l) => l.path ?? l.msg),
      ['/v1/a', '/v1/b', 'after two requests', '/v1/c', 'stopped'],
    );
    dest.end();
  });

  it('writes batches of any size whole and in order: full batches, multi-byte text, a line longer than a batch', async () => {
    const file = join(tempDir('gw-log-'), 'out.log');
    const dest = batchingDestination(file);
    await once(dest, 'ready');
    const sent: string[] = [];
    const line = (text: string) => {
      const l = `${JSON.stringify({ msg: text })}\n`;
      sent.push(l);
      dest.batch(l);
    };
    for (let i = 0; i < 400; i++) line(`line ${i} ${'ü€😀'.repeat(i % 7)}`); // ~10 batches of 16 KiB, 1-4 bytes a char
    line('x'.repeat(40_000)); // longer than a batch: written after the queued lines, on its own
    line('after the long one');
    dest.write(`${JSON.stringify({ msg: 'ordinary' })}\n`);
    line('queued at the end');
    dest.flushSync();
    assert.equal(
      readFileSync(file, 'utf8'),
      [...sent.slice(0, -1), `${JSON.stringify({ msg: 'ordinary' })}\n`, sent.at(-1)].join(''),
    );
    dest.end();
  });

  it('writes the time as toISOString() would, and any path as valid JSON', (t) => {
    const out = new LogCapture();
    const log = createLogger({ level: 'info', secrets: [] }, out);
    const access = new AccessLog(log, []);
    const paths = ['/plain/path', '/a"quote', '/back\\slash', '/tab\there', '/nul\u0000', '/ü-utf8', '/\u2028'];
    t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 10, 27, 7, 40, 59, 995) });
    const times: string[] = [];
    for (const [i, p] of paths.entries()) {
      access.write(request(p), reply);
      times.push(new Date().toISOString());
      t.mock.timers.tick(i === 0 ? 4 : 1); // crosses a second: 07:40:59.999 -> 07:41:00.000
    }
    t.mock.timers.reset();
    const lines = out.lines.map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.path),
      paths,
    );
    assert.deepEqual(
      lines.map((l) => l.time),
      times,
    );
    assert.ok(times.includes('2026-11-27T07:41:00.000Z') && times.includes('2026-11-27T07:40:59.999Z'));
  });

  it('writes nothing when the level is above info', () => {
    const out = new LogCapture();
    const log = createLogger({ level: 'warn', secrets: [] }, out);
    new AccessLog(log, []).write(request('/v1/models'), reply);
    assert.equal(out.lines.length, 0);
  });
});

describe('access log: the ms field', () => {
  it('prints exactly what String(Math.round(ms * 100) / 100) prints', () => {
    const samples = [
      0, 0.001, 0.004, 0.005, 0.05, 0.1, 0.99, 0.995, 1, 1.1, 1.01, 1.005, 9.999, 10, 12.5, 12.05, 99.99, 100, 1234.56,
      21474836.47, 21474836.48, 1e9, -0.001,
    ];
    for (let i = 0; i < 20_000; i++) samples.push(Math.random() * 10 ** ((i % 7) - 1));
    for (const ms of samples) assert.equal(hundredths(ms), String(Math.round(ms * 100) / 100), `ms = ${ms}`);
  });
});
