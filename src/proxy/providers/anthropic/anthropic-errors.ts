import { defaultType, GatewayError, type OpenAIErrorType } from '../../../common/errors/gateway-error';
import { redactSecretBytes } from '../../../common/redact';

/** Anthropic's error types as OpenAI's; the Anthropic type itself is kept as the `code`. */
const TYPES: Record<string, OpenAIErrorType> = {
  invalid_request_error: 'invalid_request_error',
  authentication_error: 'authentication_error',
  permission_error: 'permission_error',
  not_found_error: 'not_found_error',
  request_too_large: 'invalid_request_error',
  rate_limit_error: 'rate_limit_error',
  api_error: 'api_error',
  overloaded_error: 'service_unavailable',
};

const MAX_MESSAGE = 1000;

/** Anthropic's `{type, message}` error as an OpenAI error object. */
export function anthropicErrorObject(
  error: unknown,
  status: number,
): { message: string; type: OpenAIErrorType; param: null; code: string } {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { type?: unknown; message?: unknown };
  const kind = typeof e.type === 'string' ? e.type : 'api_error';
  const message = typeof e.message === 'string' && e.message ? e.message : `Upstream answered ${status}`;
  return { message: message.slice(0, MAX_MESSAGE), type: TYPES[kind] ?? defaultType(status), param: null, code: kind };
}

/**
 * An Anthropic 4xx that ends an OpenAI-format call, in the OpenAI shape with the same status; a body that is not
 * Anthropic's error JSON is quoted. The deployment's key is cut out first.
 */
export function anthropicClientError(status: number, data: Buffer, apiKey: string | undefined): GatewayError {
  const text = redactSecretBytes(data, apiKey).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const error = typeof parsed === 'object' && parsed !== null ? (parsed as { error?: unknown }).error : undefined;
  const quoted = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  const e = anthropicErrorObject(error ?? { message: quoted ? `Upstream answered ${status}: ${quoted}` : '' }, status);
  return new GatewayError(status, e.code, e.message, { type: e.type });
}
