import type { ErrorReply } from './error-body';

/**
 * Anthropic's error shape, for the routes of its Messages API: their callers (the Anthropic SDKs, Claude Code) read
 * `{"type": "error", "error": {"type", "message"}}` and Anthropic's error types. The gateway's own `param` and `code`
 * stay in `error`, so the body is still OpenAI's shape for a client that reads that one.
 */
export function isAnthropicRoute(url: string | undefined): boolean {
  return url !== undefined && /^\/v1\/messages(?:[/?]|$)/.test(url);
}

/** Anthropic's error type for a status (its documented table; other 4xx are `invalid_request_error`). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** The reply in Anthropic's shape; a body already in it (an upstream error passed on) or not the gateway's, as is. */
export function asAnthropicError(out: ErrorReply, requestId: string): ErrorReply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.body.toString());
  } catch {
    return out;
  }
  const body = parsed as { type?: unknown; error?: { message?: unknown; param?: unknown; code?: unknown } } | null;
  if (body === null || typeof body !== 'object' || body.type !== undefined) return out;
  if (typeof body.error !== 'object' || body.error === null || typeof body.error.message !== 'string') return out;
  const { message, param, code } = body.error;
  const error = { type: anthropicErrorType(out.status), message, param: param ?? null, code: code ?? null };
  return { ...out, body: JSON.stringify({ type: 'error', error, request_id: requestId }) };
}

/** A failure after an Anthropic event stream started: Anthropic's `error` event (the SDKs skip events without a name). */
export function anthropicErrorEvent(message: string, code: string): string {
  const error = { type: 'api_error', message, param: null, code };
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error })}\n\n`;
}
