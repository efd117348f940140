import { GatewayError } from '../../common/errors/gateway-error';

/** Longest piece of an upstream's own error text quoted in the gateway's message. */
const MAX_QUOTE = 500;

/**
 * The error for an upstream 4xx that ends the call. An answer already in the OpenAI error shape (a JSON object
 * whose `error` is an object) is passed on as it is, so clients see the provider's own type, code and param.
 * Anything else (an HTML page from a proxy, plain text, `{"error": "..."}`, JSON of another shape) is put in the
 * OpenAI shape, quoting the upstream's text, so every client can read it. `body` is already free of the api key as
 * written; the quote is scrubbed of it again, as parsed.
 */
export function upstreamClientError(status: number, body: Buffer, contentType: string | undefined, apiKey?: string): GatewayError {
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const error = parsed !== null && typeof parsed === 'object' ? (parsed as { error?: unknown }).error : undefined;
  if (error !== null && typeof error === 'object' && !Array.isArray(error)) {
    // Written out again, scrubbed, only when the key is there once parsed (it was JSON-escaped in the bytes).
    const plain = apiKey ? JSON.stringify(parsed) : '';
    const out = apiKey && plain.includes(apiKey) ? Buffer.from(plain.split(apiKey).join('[REDACTED]')) : body;
    return new GatewayError(status, 'upstream_error', `Upstream answered ${status}`, { raw: { body: out, contentType: contentType ?? 'application/json' } });
  }
  const said = typeof error === 'string' ? error : parsed === undefined ? text : JSON.stringify(parsed);
  let quote = said.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  // Once more after parsing: a key the upstream wrote JSON-escaped (`\u0073k-...`) is plain text now.
  if (apiKey) quote = quote.split(apiKey).join('[REDACTED]');
  quote = quote.slice(0, MAX_QUOTE);
  return new GatewayError(status, 'upstream_error', quote ? `Upstream answered ${status}: ${quote}` : `Upstream answered ${status}`);
}
