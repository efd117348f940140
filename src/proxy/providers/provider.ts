import { Errors } from '../../common/errors/gateway-error';
import type { DeploymentConfig } from '../../config/gateway-config';

/** The model operations the gateway forwards. */
export type Operation = 'chat' | 'embeddings';

export const OPERATIONS: readonly Operation[] = ['chat', 'embeddings'];

/** Where and how one deployment is called: computed once at start, then only read on the hot path. */
export interface UpstreamEndpoint {
  /** `scheme://host[:port]`: one keep-alive connection pool per origin. */
  readonly origin: string;
  /** Request path (with query) per operation. */
  readonly paths: Readonly<Record<Operation, string>>;
  /** Headers sent on every call, credentials included (never logged, never answered). */
  readonly headers: Readonly<Record<string, string>>;
  /** The value written into the body's `model` field. */
  readonly bodyModel: string;
  /** Whether the upstream accepts `stream_options.include_usage` (used to read streaming usage). */
  readonly streamUsage: boolean;
}

/**
 * One kind of upstream API. Adding a provider (Anthropic, Bedrock, ...) is one new file implementing this, listed
 * in `provider-registry.ts`.
 */
export interface Provider {
  /** The prefix used in `litellm_params.model`. */
  readonly name: string;
  /** The `litellm_params` credential forms it can use (see CREDENTIAL_PARAMS); a deployment naming only others is refused. */
  readonly credentials: readonly string[];
  /** At start: the endpoint of one deployment. */
  endpoint(deployment: DeploymentConfig): UpstreamEndpoint;
  /** Per call: the upstream body. `payload` is the client's parsed JSON (unknown fields kept); serialised once. */
  body(op: Operation, payload: Record<string, unknown>, endpoint: UpstreamEndpoint): string;
}

/** `https://host:port/base/path?q` -> origin, path prefix (no trailing slash) and query (no `?`; '' when none). */
export function splitBase(apiBase: string): { origin: string; basePath: string; query: string } {
  const url = new URL(apiBase);
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, ''), query: url.search.slice(1) };
}

/** Joins query strings, each without `?`: `?a&b`, or '' when all are empty. */
export function joinQuery(...parts: string[]): string {
  const q = parts.filter(Boolean).join('&');
  return q ? `?${q}` : '';
}

/** The OpenAI wire format: the client's body as is, with `model` set to the upstream's name for it. */
export function openAIBody(payload: Record<string, unknown>, endpoint: UpstreamEndpoint): string {
  payload.model = endpoint.bodyModel;
  return serializeBody(payload);
}

/**
 * JSON.stringify of a client's parsed body. JSON.parse accepts nesting that JSON.stringify cannot write back
 * (thousands of levels overflow the stack): that body is the client's error (400), not the gateway's (500).
 */
export function serializeBody(payload: Record<string, unknown>): string {
  try {
    return JSON.stringify(payload);
  } catch (err) {
    if (err instanceof RangeError)
      throw Errors.badRequest('The request body is nested too deeply', null, 'invalid_json');
    throw err;
  }
}
