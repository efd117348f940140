import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessLog, usd } from '../../src/logging/access-log';
import { createLogger } from '../../src/logging/logger';
import { prettyLine } from '../../src/logging/pretty';
import { CALL_REPORT } from '../../src/proxy/call-accounting';
import { LogCapture } from '../support/gateway';

const reply = { statusCode: 200, elapsedTime: 12.5 } as unknown as FastifyReply;

describe('access line: the model call', () => {
  it('carries model group, deployment, tokens, spend and the key alias; pretty mode reads it back', () => {
    const out = new LogCapture();
    const log = createLogger({ level: 'info', secrets: [] }, out);
    const req = {
      id: 'r-1',
      method: 'POST',
      url: '/v1/chat/completions',
      headers: {},
      routeOptions: { url: '/v1/chat/completions' },
      caller: Object.freeze({ role: 'virtual_key', token: 'abcdef0123456789', keyAlias: 'ci-bot', teamId: 't1' }),
      [CALL_REPORT]: {
        modelGroup: 'gpt',
        deploymentId: 'gpt#0',
        promptTokens: 11,
        completionTokens: 7,
        cost: 0.000015,
        latencyMs: 3,
        ok: true,
      },
    } as unknown as FastifyRequest;
    new AccessLog(log, []).write(req, reply);
    const line = JSON.parse(out.lines[0]) as Record<string, unknown>;
    assert.deepEqual(
      [line.model_group, line.model_id, line.prompt_tokens, line.completion_tokens, line.spend, line.key_alias],
      ['gpt', 'gpt#0', 11, 7, 0.000015, 'ci-bot'],
    );
    assert.equal(line.role, 'virtual_key');
    const pretty = prettyLine(out.lines[0], false);
    assert.match(pretty, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}POST \/v1\/chat\/completions 200 12\.5ms /);
    assert.match(pretty, / model_group=gpt model_id=gpt#0 prompt_tokens=11 completion_tokens=7 spend=0\.000015/);
    assert.ok(pretty.endsWith('\n') && !pretty.includes('{'), pretty);
  });

  it('spend is written from integers, to the nano-dollar', () => {
    assert.equal(usd(0), '0');
    assert.equal(Number(usd(0.000015)), 0.000015);
    assert.equal(Number(usd(1.5)), 1.5);
    assert.equal(Number(usd(12.25)), 12.25);
  });
});

describe('pretty lines', () => {
  it('time, level, message and fields; a warning coloured only when asked', () => {
    const json = '{"level":"warn","time":"2026-12-06T06:00:01.234Z","svc":"llm-gateway","port":4000,"msg":"port busy"}';
    assert.equal(prettyLine(json, false), '06:00:01.234 WARN  port busy port=4000\n');
    assert.match(prettyLine(json, true), /\x1b\[33m/);
    assert.equal(prettyLine('not json\n', false), 'not json\n');
  });
});
