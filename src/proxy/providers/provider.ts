import { Errors, type GatewayError } from '../../common/errors/gateway-error';
import type { DeploymentConfig } from '../../config/gateway-config';
import type { StreamTranslator } from '../streaming/stream-translator';
import type { Usage } from '../streaming/usage';
import type { ClientJson, JsonBytes } from '../upstream/client-json';

/** The OpenAI API's model operations, each with its path (after `/v1`). */
export const OPENAI_OPERATION_PATHS = {
  chat: 'chat/completions',
  embeddings: 'embeddings',
  responses: 'responses',
  completions: 'completions',
  moderations: 'moderations',
  images: 'images/generations',
  speech: 'audio/speech',
  transcriptions: 'audio/transcriptions',
  translations: 'audio/translations',
} as const;

export type OpenAIOperation = keyof typeof OPENAI_OPERATION_PATHS;

const OPENAI_OPERATIONS = Object.keys(OPENAI_OPERATION_PATHS) as OpenAIOperation[];

/** The model operations the gateway forwards: OpenAI's, and Anthropic's Messages API with its token count. */
export type Operation = OpenAIOperation | 'messages' | 'count_tokens';

/** The paths of every OpenAI operation on one upstream: `prefix/<op path><query>`. */
export function openAIOperationPaths(prefix: string, query: string): Record<OpenAIOperation, string> {
  const paths = {} as Record<OpenAIOperation, string>;
  for (const op of OPENAI_OPERATIONS) paths[op] = `${prefix}/${OPENAI_OPERATION_PATHS[op]}${query}`;
  return paths;
}

/** Where and how one deployment is called: computed once at start, then only read on the hot path. */
export interface UpstreamEndpoint {
  /** `scheme://host[:port]`: one keep-alive connection pool per origin. */
  readonly origin: string;
  /** Request path (with query) per operation the provider serves; an operation left out is refused (400). */
  readonly paths: Readonly<Partial<Record<Operation, string>>>;
  /** Headers sent on every call, credentials included (never logged, never answered). */
  readonly headers: Readonly<Record<string, string>>;
  /** The value written into the body's `model` field. */
  readonly bodyModel: string;
  /** Whether the upstream accepts `stream_options.include_usage` (used to read streaming usage). */
  readonly streamUsage: boolean;
  /** Credentials that expire (Microsoft Entra ID tokens): the headers of a call come from here, not `headers`. */
  readonly auth?: CallCredentials;
  /**
   * The path of a stored response (Responses API): `id` as the upstream knows it, `suffix` '' or `/input_items` or
   * `/cancel`, `query` the client's own query string (without `?`; '' when none). Absent: no Responses API.
   */
  readonly responsePath?: (id: string, suffix: string, query: string) => string;
}

/** The headers of a call whose credential is renewed over time. */
export interface CallCredentials {
  /** The headers with a good credential, when one is at hand without waiting; else null. */
  now(): Readonly<Record<string, string>> | null;
  /** Waits for a good credential. Throws an error carrying an AttemptFailure when none can be had. */
  fresh(): Promise<Readonly<Record<string, string>>>;
}

/** What start-up knows beyond one deployment's own settings. */
export interface ProviderEnv {
  /** Microsoft Entra ID's authority host (`AZURE_AUTHORITY_HOST`). */
  readonly azureAuthorityHost: string;
}

/** A problem with one deployment's settings: the `litellm_params` key and what is wrong with it. */
export interface ConfigProblem {
  readonly key: string;
  readonly message: string;
}

/** A provider's answer in the shape the client asked for, with its usage (null: none reported). */
export interface ProviderAnswer {
  readonly body: Buffer;
  readonly usage: Usage | null;
}

/**
 * The response side of a provider whose API is not OpenAI's: its answers, streams and errors translated into the
 * shape of the operation the client called.
 */
export interface ResponseSide {
  /**
   * A 2xx answer for the client, with its usage; null when the body is not an answer (the attempt failed).
   * `payload`: the client's request, whose options may shape the answer (`response_format`).
   */
  answer(
    op: Operation,
    body: Buffer,
    created: number,
    payload?: Readonly<Record<string, unknown>>,
  ): ProviderAnswer | null;
  /** A 2xx event stream, translated chunk by chunk. `includeUsage`: the client asked for a usage chunk. */
  stream(
    op: Operation,
    created: number,
    includeUsage: boolean,
    payload?: Readonly<Record<string, unknown>>,
  ): StreamTranslator;
  /** An upstream 4xx that ends the call (not retried), as the error the client gets. */
  error(op: Operation, status: number, body: Buffer, apiKey: string | undefined): GatewayError;
}

/**
 * One kind of upstream API, in its own folder under `providers/`, listed in `provider-registry.ts`. An
 * OpenAI-compatible one is a call of `openAICompatible()`; another API adds a `response` side.
 */
export interface Provider {
  /** The prefix used in `litellm_params.model` (`azure`, `anthropic`, ...). */
  readonly name: string;
  /** The `litellm_params` credential forms it can use (see CREDENTIAL_PARAMS); a deployment naming only others is refused. */
  readonly credentials: readonly string[];
  /** At start: what is wrong with a deployment's `litellm_params` for this provider (the start stops), or null. */
  configProblem?(params: Readonly<Record<string, unknown>>): ConfigProblem | null;
  /** At start: the endpoint of one deployment. */
  endpoint(deployment: DeploymentConfig, env: ProviderEnv): UpstreamEndpoint;
  /**
   * Per attempt: the upstream body. `payload` is the client's parsed JSON (unknown fields kept), `client` its bytes
   * as received (null: none, e.g. a body the gateway made). Without `response`, long values the bytes hold may
   * stand in the payload as let go of (ClientJson.release): such a provider only sets top-level fields and writes
   * the body with `clientBody`.
   */
  body(
    op: Operation,
    payload: Record<string, unknown>,
    endpoint: UpstreamEndpoint,
    client: ClientJson | null,
  ): UpstreamBody;
  /** Absent: the upstream speaks OpenAI's format, and answers, streams and errors pass through untouched. */
  readonly response?: ResponseSide;
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

/** A model call's upstream body: JSON text, or bytes (the client's own, mostly). */
export type UpstreamBody = string | JsonBytes;

/** The OpenAI wire format: the client's body as is, with `model` set to the upstream's name for it. */
export function openAIBody(
  payload: Record<string, unknown>,
  endpoint: UpstreamEndpoint,
  client: ClientJson | null,
): UpstreamBody {
  payload.model = endpoint.bodyModel;
  return clientBody(payload, client);
}

/** `payload` written as the client's bytes with its changes, when they can be; else as serializeBody writes it. */
export function clientBody(payload: Record<string, unknown>, client: ClientJson | null): UpstreamBody {
  if (client === null) return serializeBody(payload);
  try {
    return client.encode(payload) ?? serializeBody(payload);
  } catch (err) {
    throw tooDeep(err);
  }
}

/**
 * JSON.stringify of a client's parsed body. JSON.parse accepts nesting that JSON.stringify cannot write back
 * (thousands of levels overflow the stack): that body is the client's error (400), not the gateway's (500).
 */
export function serializeBody(payload: unknown): string {
  try {
    return JSON.stringify(payload);
  } catch (err) {
    throw tooDeep(err);
  }
}

function tooDeep(err: unknown): unknown {
  return err instanceof RangeError
    ? Errors.badRequest('The request body is nested too deeply', null, 'invalid_json')
    : err;
}
