import { GatewayError } from '../../common/errors/gateway-error';
import { redactSecretBytes, redactSecrets } from '../../common/redact';

/** What stands for a compressed error body, which cannot be read as text. */
const ENCODED = Buffer.from('(a compressed body)');
/** Longest piece of an upstream's own error text quoted in the gateway's message. */
const MAX_QUOTE = 500;

/**
 * The error for an upstream 4xx that ends the call. An answer already in the OpenAI error shape (a JSON object
 * whose `error` is an object) is passed on as it is, so clients see the provider's own type, code and param.
 * Anything else (an HTML page from a proxy, plain text, `{"error": "..."}`, JSON of another shape) is put in the
 * OpenAI shape, quoting the upstream's text, so every client can read it. The deployment's `apiKey` is removed as
 * written and again as parsed (a JSON-escaped key is plain text once parsed). A compressed body (`encoded`; the
 * upstream was asked not to) is not quoted.
 */
export function upstreamClientError(
  status: number,
  data: Buffer,
  contentType: string | undefined,
  apiKey: string | undefined,
  encoded: boolean,
): GatewayError {
  const body = encoded ? ENCODED : redactSecretBytes(data, apiKey);
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const error = parsed !== null && typeof parsed === 'object' ? (parsed as { error?: unknown }).error : undefined;
  if (error !== null && typeof error === 'object' && !Array.isArray(error)) {
    // An error object missing some of the OpenAI fields (Azure's {"error": {"code", "message"}}) gets them, its own
    // fields kept; a complete one is passed as it came, written out again (scrubbed) only when the key is there once
    // parsed (it was JSON-escaped in the bytes).
    const complete = isOpenAiError(error as Record<string, unknown>);
    const plain = !complete
      ? JSON.stringify({ ...(parsed as object), error: completed(error as Record<string, unknown>, status) })
      : apiKey
        ? JSON.stringify(parsed)
        : '';
    const scrubbed = apiKey ? redactSecrets(plain, [apiKey]) : plain;
    const out = !complete || scrubbed !== plain ? Buffer.from(scrubbed) : body;
    return new GatewayError(status, 'upstream_error', `Upstream answered ${status}`, {
      raw: { body: out, contentType: complete ? (contentType ?? 'application/json') : 'application/json' },
    });
  }
  const said = typeof error === 'string' ? error : parsed === undefined ? text : JSON.stringify(parsed);
  let quote = said.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (apiKey) quote = redactSecrets(quote, [apiKey]);
  quote = quote.slice(0, MAX_QUOTE);
  return new GatewayError(
    status,
    'upstream_error',
    quote ? `Upstream answered ${status}: ${quote}` : `Upstream answered ${status}`,
  );
}

function isOpenAiError(e: Record<string, unknown>): boolean {
  return typeof e.message === 'string' && 'type' in e && 'param' in e && 'code' in e;
}

/** The OpenAI fields an upstream's error object lacks (absent, not null), filled in; the fields it has are kept. */
function completed(e: Record<string, unknown>, status: number): Record<string, unknown> {
  const type = status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : 'invalid_request_error';
  return {
    ...e,
    message: typeof e.message === 'string' ? e.message : `Upstream answered ${status}`,
    type: 'type' in e ? e.type : type,
    param: e.param ?? null,
    code: e.code ?? null,
  };
}
