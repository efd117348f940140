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
 * Who is over a budget, as LiteLLM names it in its refusal: a key (`name`: its alias and masked secret), a team, an
 * internal user or an end user (`id`), a user within one team (its member budget), or a key on one model group
 * (model_max_budget).
 */
export type BudgetOwner =
  | { readonly kind: 'key'; readonly name: string }
  | { readonly kind: 'team' | 'user' | 'end_user'; readonly id: string }
  | { readonly kind: 'team_member'; readonly teamId: string; readonly userId: string }
  | { readonly kind: 'key_model'; readonly name: string; readonly alias: string | null; readonly model: string };

/**
 * The one budget refusal, in LiteLLM's three wordings, so clients that match LiteLLM's message match this one:
 * "Budget has been exceeded! Key=... Current cost: 2.0, Max budget: 1.0" (keys, teams; "User=u1 in Team=t1" for
 * a team member),
 * "ExceededBudget: User=u1 over budget. Spend=2.0, Budget=1.0" (users, end users: "End User="), and
 * "LiteLLM Virtual Key: sk-...abcd, key_alias: a, exceeded budget for model=m" (model_max_budget). Amounts are
 * written as Python writes floats; `note` says more.
 */
function budgetExceeded(owner: BudgetOwner, spent: number, maxBudget: number, note = ''): GatewayError {
  const cost = pyFloat(Math.round(spent * 1e6) / 1e6);
  const max = pyFloat(maxBudget);
  let message: string;
  if (owner.kind === 'user' || owner.kind === 'end_user') {
    const who = owner.kind === 'user' ? 'User' : 'End User';
    message = `ExceededBudget: ${who}=${owner.id} over budget. Spend=${cost}, Budget=${max}`;
  } else if (owner.kind === 'team_member') {
    message = `Budget has been exceeded! User=${owner.userId} in Team=${owner.teamId} Current cost: ${cost}, Max budget: ${max}`;
  } else if (owner.kind === 'key_model') {
    message = `LiteLLM Virtual Key: ${owner.name}, key_alias: ${owner.alias ?? 'None'}, exceeded budget for model=${owner.model}. Current cost: ${cost}, Max budget: ${max}`;
  } else {
    const who = owner.kind === 'key' ? `Key=${owner.name}` : `Team=${owner.id}`;
    message = `Budget has been exceeded! ${who} Current cost: ${cost}, Max budget: ${max}`;
  }
  return new GatewayError(400, 'budget_exceeded', message + note, { type: 'budget_exceeded' });
}

/** A number as Python's str(float) writes it (`2.0`, `3.7e-05`), which LiteLLM's messages carry. */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}
