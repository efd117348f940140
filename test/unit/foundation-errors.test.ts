import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { toErrorReply } from '../../src/common/errors/error-body';
import { Errors, pyFloat, GatewayError } from '../../src/common/errors/gateway-error';

const parse = (body: string | Buffer) => JSON.parse(body.toString()).error;

describe('error mapping (the one place errors become HTTP)', () => {
  it('GatewayError: status, OpenAI type/code/param and headers', () => {
    const r = toErrorReply(Errors.rateLimited('slow down', 2.2));
    assert.equal(r.status, 429);
    assert.deepEqual(r.headers, { 'retry-after': '3' });
    assert.deepEqual(parse(r.body), {
      message: 'slow down',
      type: 'rate_limit_error',
      param: null,
      code: 'rate_limit_exceeded',
    });
    assert.deepEqual(parse(toErrorReply(Errors.badRequest('bad model', 'model')).body), {
      message: 'bad model',
      type: 'invalid_request_error',
      param: 'model',
      code: 'invalid_request',
    });
    const over = toErrorReply(Errors.budgetExceeded({ kind: 'team', id: 't1' }, 2.0000004, 1));
    assert.equal(parse(over.body).type, 'budget_exceeded');
    assert.equal(over.status, 400);
    // LiteLLM's three wordings, which clients match on, with amounts as Python writes floats.
    assert.equal(parse(over.body).message, 'Budget has been exceeded! Team=t1 Current cost: 2.0, Max budget: 1.0');
    const message = (...a: Parameters<typeof Errors.budgetExceeded>) => Errors.budgetExceeded(...a).message;
    assert.equal(
      message({ kind: 'key', name: 'ci (sk-...abcd)' }, 1.25, 1),
      'Budget has been exceeded! Key=ci (sk-...abcd) Current cost: 1.25, Max budget: 1.0',
    );
    assert.equal(
      message({ kind: 'user', id: 'u1' }, 0.000037, 0),
      'ExceededBudget: User=u1 over budget. Spend=3.7e-05, Budget=0.0',
    );
    assert.equal(
      message({ kind: 'end_user', id: 'cust-9' }, 3, 2.5),
      'ExceededBudget: End User=cust-9 over budget. Spend=3.0, Budget=2.5',
    );
    assert.equal(
      message({ kind: 'key_model', name: 'sk-...abcd', alias: null, model: 'gpt-4o' }, 2, 1),
      'LiteLLM Virtual Key: sk-...abcd, key_alias: None, exceeded budget for model=gpt-4o. Current cost: 2.0, Max budget: 1.0',
    );
    assert.deepEqual([0, 1, -2, 0.5, 1e-4, 1.5e-5, 1e16, 123456.789].map(pyFloat), [
      '0.0',
      '1.0',
      '-2.0',
      '0.5',
      '0.0001',
      '1.5e-05',
      '1e+16',
      '123456.789',
    ]);
    for (const [err, status, type] of [
      [Errors.unauthorized('x'), 401, 'authentication_error'],
      [Errors.forbidden('x'), 403, 'permission_error'],
      [Errors.notFound('x'), 404, 'not_found_error'],
      [Errors.unavailable('x'), 503, 'service_unavailable'],
      [Errors.badGateway('x'), 502, 'api_error'],
      [Errors.gatewayTimeout('x'), 504, 'timeout_error'],
    ] as const) {
      const r = toErrorReply(err);
      assert.equal(r.status, status);
      assert.equal(parse(r.body).type, type);
      assert.equal(r.internal, false);
    }
  });

  it('an upstream error passed through keeps its exact body and content type', () => {
    const raw = Buffer.from(
      '{"error":{"message":"upstream says no","type":"invalid_request_error","param":null,"code":"x"}}',
    );
    const r = toErrorReply(
      new GatewayError(422, 'upstream', 'x', { raw: { body: raw, contentType: 'application/json' } }),
    );
    assert.equal(r.status, 422);
    assert.equal(r.body, raw);
    assert.equal(r.contentType, 'application/json');
  });

  it('Nest HttpExceptions: 404 names the route without its query; others keep their message', () => {
    assert.deepEqual(parse(toErrorReply(new NotFoundException('Cannot GET /x/y?key=sk-secret')).body), {
      message: 'Unknown route: GET /x/y',
      type: 'not_found_error',
      param: null,
      code: 'route_not_found',
    });
    assert.equal(
      parse(toErrorReply(new BadRequestException(['a must be set', 'b too'])).body).message,
      'a must be set; b too',
    );
    const big = toErrorReply(new PayloadTooLargeException());
    assert.equal(big.status, 413);
    assert.equal(parse(big.body).code, 'request_too_large');
  });

  it("Fastify's own errors map to precise codes", () => {
    const cases: [string, number, number, string][] = [
      ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 400, 'invalid_json'],
      ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 400, 'invalid_json'],
      ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 413, 'request_too_large'],
      ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415, 'unsupported_media_type'],
      ['FST_ERR_SOMETHING_NEW', 400, 400, 'invalid_request'],
    ];
    for (const [code, statusCode, status, errCode] of cases) {
      const err = Object.assign(new Error('fastify said so'), { code, statusCode });
      const r = toErrorReply(err);
      assert.equal(r.status, status, code);
      assert.equal(parse(r.body).code, errCode, code);
    }
  });

  it('anything else is a 500 that names the request id and shows nothing of the error', () => {
    const err = new Error('connect ECONNREFUSED postgresql://u:pw-123@db/x at /app/dist/x.js:10:5');
    const r = toErrorReply(err, 'req-77');
    assert.equal(r.status, 500);
    assert.equal(r.internal, true);
    assert.deepEqual(parse(r.body), {
      message: 'Internal gateway error (request id req-77)',
      type: 'api_error',
      param: null,
      code: 'internal_error',
    });
    assert.equal(
      toErrorReply(Object.assign(new Error('x'), { statusCode: 503 })).status,
      500,
      'a 5xx statusCode from a library is still internal',
    );
    assert.equal(toErrorReply(null).status, 500);
    assert.equal(toErrorReply('a string').status, 500);
  });
});
