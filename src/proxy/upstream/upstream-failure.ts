/** Why one attempt at a deployment failed, in words safe to show a caller (no address, no secret). */
export interface AttemptFailure {
  /** `invalid`: a 2xx answer the gateway cannot pass on (a body that is not JSON). */
  readonly kind: 'timeout' | 'network' | 'status' | 'invalid';
  /** Upstream HTTP status, for kind 'status'. */
  readonly status?: number;
  readonly reason: string;
  /** The upstream's `retry-after` in seconds, when it sent one (429, 503). */
  readonly retryAfterSec?: number;
}

const REASONS: Record<string, { kind: AttemptFailure['kind']; reason: string }> = {
  UND_ERR_CONNECT_TIMEOUT: { kind: 'timeout', reason: 'connect timed out' },
  UND_ERR_HEADERS_TIMEOUT: { kind: 'timeout', reason: 'no response within the timeout' },
  UND_ERR_BODY_TIMEOUT: { kind: 'timeout', reason: 'response body stalled past the timeout' },
  ECONNREFUSED: { kind: 'network', reason: 'connection refused' },
  ECONNRESET: { kind: 'network', reason: 'connection reset' },
  EPIPE: { kind: 'network', reason: 'connection reset' },
  UND_ERR_SOCKET: { kind: 'network', reason: 'connection closed by the upstream' },
  UND_ERR_CLOSED: { kind: 'network', reason: 'connection closed' },
  ENOTFOUND: { kind: 'network', reason: 'host not found' },
  EAI_AGAIN: { kind: 'network', reason: 'host name lookup failed' },
  EHOSTUNREACH: { kind: 'network', reason: 'host unreachable' },
  ENETUNREACH: { kind: 'network', reason: 'network unreachable' },
  ETIMEDOUT: { kind: 'timeout', reason: 'connection timed out' },
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: { kind: 'network', reason: 'response shorter than announced' },
  GW_SSE_EVENT_TOO_LARGE: { kind: 'invalid', reason: 'an event of the stream was larger than 4 MiB' },
};

/** Classifies an error thrown by undici while calling an upstream. */
export function failureFromError(err: unknown): AttemptFailure {
  const e = err as { code?: string; cause?: { code?: string }; failure?: AttemptFailure } | null;
  // Errors of the gateway's own making before the call (an Entra ID token that could not be had) say what failed.
  if (e?.failure !== undefined) return e.failure;
  const code = e?.code ?? e?.cause?.code;
  const known = code ? REASONS[code] : undefined;
  if (known) return known;
  return { kind: 'network', reason: code ? `network error (${code})` : 'network error' };
}

export function failureFromStatus(status: number, retryAfter?: string): AttemptFailure {
  const seconds = retryAfter !== undefined && /^\d{1,6}$/.test(retryAfter) ? Number(retryAfter) : undefined;
  const why = status === 401 || status === 403 ? " (the upstream refused the deployment's credentials)" : '';
  return {
    kind: status === 408 ? 'timeout' : 'status',
    status,
    reason: `HTTP ${status}${why}`,
    retryAfterSec: seconds,
  };
}

/**
 * Upstream answers worth another deployment: rate limited (429), timed out (408), server errors, anything not
 * 2xx/4xx, and 401/403 — those judge the deployment's own api_key, not the caller: passing them on would tell the
 * caller its key is wrong (and OpenAI's message quotes part of the upstream key).
 */
export function isRetryableStatus(status: number): boolean {
  return (
    status === 429 ||
    status === 401 ||
    status === 403 ||
    status === 408 ||
    status >= 500 ||
    status < 200 ||
    (status >= 300 && status < 400)
  );
}

/** A 2xx non-streamed answer whose body is not JSON: the deployment is broken, another one may not be. */
export function invalidBodyFailure(status: number): AttemptFailure {
  return { kind: 'invalid', reason: `answered ${status} with a body that is not JSON` };
}
