import { HttpException } from '@nestjs/common';
import { defaultType, GatewayError } from './gateway-error';

export interface ErrorReply {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
  contentType: string;
  /** True when the error is unexpected (a bug): logged with its stack, answered without it. */
  internal: boolean;
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'Request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'invalid_json',
    message: 'Request body is empty but content-type is application/json',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'request_too_large',
    message: 'Request body is larger than the configured limit',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'Unsupported content-type; send application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_request',
    message: 'Content-Length does not match the body (or the body is not valid UTF-8)',
  },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: 'invalid_request', message: 'Invalid content-type header' },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_url', message: 'The URL path is not validly percent-encoded' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'invalid_url', message: 'A segment of the URL path is too long' },
};

export function openAIError(
  status: number,
  message: string,
  code: string,
  param: string | null = null,
  type = defaultType(status),
): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

/** Maps anything thrown while serving a request to the OpenAI error shape. The one place errors become HTTP. */
export function toErrorReply(err: unknown, requestId?: string): ErrorReply {
  if (err instanceof GatewayError) {
    if (err.raw)
      return {
        status: err.status,
        headers: err.headers,
        body: err.raw.body,
        contentType: err.raw.contentType,
        internal: false,
      };
    return {
      status: err.status,
      headers: err.headers,
      body: openAIError(err.status, err.message, err.code, err.param, err.type),
      contentType: JSON_TYPE,
      internal: false,
    };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const message = status === 404 ? notFoundMessage(err) : httpMessage(err);
    return {
      status,
      body: openAIError(status, message, status === 404 ? 'route_not_found' : codeFor(status)),
      contentType: JSON_TYPE,
      internal: false,
    };
  }
  const fe = err as { code?: string; statusCode?: number; message?: string } | null;
  const known = fe?.code ? FASTIFY_CODES[fe.code] : undefined;
  if (known)
    return {
      status: known.status,
      body: openAIError(known.status, known.message, known.code),
      contentType: JSON_TYPE,
      internal: false,
    };
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Other client errors raised by the HTTP layer (bad headers, bad URL encoding, ...): the message is Fastify's own.
    return {
      status: fe.statusCode,
      body: openAIError(fe.statusCode, fe.message ?? 'Bad request', codeFor(fe.statusCode)),
      contentType: JSON_TYPE,
      internal: false,
    };
  }
  const ref = requestId ? ` (request id ${requestId})` : '';
  return {
    status: 500,
    body: openAIError(500, `Internal gateway error${ref}`, 'internal_error'),
    contentType: JSON_TYPE,
    internal: true,
  };
}

/** The status and code `toErrorReply` answers `err` with: what a record of the call keeps. */
export function errorOutcome(err: unknown): { status: number; code: string } {
  if (err instanceof GatewayError) return { status: err.status, code: err.code };
  const known = FASTIFY_CODES[(err as { code?: unknown } | null)?.code as string];
  if (known) return { status: known.status, code: known.code };
  const status = toErrorReply(err).status;
  return { status, code: codeFor(status) };
}

const JSON_TYPE = 'application/json; charset=utf-8';

function codeFor(status: number): string {
  if (status === 413) return 'request_too_large';
  if (status === 405) return 'method_not_allowed';
  return status >= 500 ? 'internal_error' : 'invalid_request';
}

function httpMessage(err: HttpException): string {
  const r = err.getResponse();
  if (typeof r === 'string') return r;
  const m = (r as { message?: unknown }).message;
  return Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : err.message;
}

function notFoundMessage(err: HttpException): string {
  // Nest's "Cannot POST /x?y" names method and path: keep those, they help callers; drop the query string, which
  // may carry anything (a key pasted into the wrong place).
  return httpMessage(err)
    .replace(/^Cannot /, 'Unknown route: ')
    .replace(/\?.*$/s, '');
}
