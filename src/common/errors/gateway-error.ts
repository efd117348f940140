/**
 * Domain errors. Every refusal or failure in the gateway is one of these; the OpenAI exception filter maps it to
 * HTTP as `{"error": {"message", "type", "param", "code"}}`. Messages must never contain a secret.
 */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'budget_exceeded'
  | 'api_error'
  | 'service_unavailable'
  | 'timeout_error';

export interface GatewayErrorOptions {
  type?: OpenAIErrorType;
  param?: string | null;
  headers?: Record<string, string>;
  /** For upstream 4xx passed through unchanged: the exact body (and content type) to send. */
  raw?: { body: string | Buffer; contentType: string };
}

export class GatewayError extends Error {
  readonly type: OpenAIErrorType;
  readonly param: string | null;
  readonly headers?: Record<string, string>;
  readonly raw?: { body: string | Buffer; contentType: string };

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    opts: GatewayErrorOptions = {},
  ) {
    super(message);
    this.name = 'GatewayError';
    this.type = opts.type ?? defaultType(status);
    this.param = opts.param ?? null;
    this.headers = opts.headers;
    this.raw = opts.raw;
  }
}

export function defaultType(status: number): OpenAIErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 503) return 'service_unavailable';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** Short constructors for the common cases, so call sites read as the contract does. */
export const Errors = {
  badRequest: (message: string, param: string | null = null, code = 'invalid_request') =>
    new GatewayError(400, code, message, { param }),
  unauthorized: (message: string, code = 'invalid_api_key') => new GatewayError(401, code, message),
  forbidden: (message: string, code = 'forbidden') => new GatewayError(403, code, message),
  notFound: (message: string, code = 'not_found', param: string | null = null) =>
    new GatewayError(404, code, message, { param }),
  rateLimited: (message: string, retryAfterSec: number, code = 'rate_limit_exceeded') =>
    new GatewayError(429, code, message, { headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSec))) } }),
  budgetExceeded,
  unavailable: (message: string, code = 'service_unavailable') => new GatewayError(503, code, message),
  badGateway: (message: string, code = 'upstream_error') => new GatewayError(502, code, message),
  gatewayTimeout: (message: string, code = 'upstream_timeout') => new GatewayError(504, code, message),
};

/**
 * The one budget refusal, in LiteLLM's words ("Budget has been exceeded! Team=t1 Current cost: 2, Max budget: 1"), so
 * clients that read LiteLLM's message read this one. `owner` is LiteLLM's `Key=...`, `Team=...`; `note` says more.
 */
function budgetExceeded(owner: string, spent: number, maxBudget: number, note = ''): GatewayError {
  const cost = Math.round(spent * 1e6) / 1e6;
  const message = `Budget has been exceeded! ${owner} Current cost: ${cost}, Max budget: ${maxBudget}${note}`;
  return new GatewayError(400, 'budget_exceeded', message, { type: 'budget_exceeded' });
}
