import type { DeploymentConfig } from '../../../config/gateway-config';
import {
  joinQuery,
  openAIBody,
  openAIOperationPaths,
  splitBase,
  type Provider,
  type UpstreamEndpoint,
} from '../provider';

export interface OpenAICompatibleSpec {
  /** The prefix in `litellm_params.model`. */
  readonly name: string;
  /** The API's base (its `/chat/completions` is under it); absent: `api_base` is required. */
  readonly apiBase?: string;
}

/**
 * A provider whose API is OpenAI's: `{api_base}/chat/completions`, `/embeddings`, `/responses` and the other operations, `Authorization: Bearer
 * <api_key>`, `model` rewritten to the name after the prefix. Answers, streams and errors pass through untouched.
 */
export function openAICompatible(spec: OpenAICompatibleSpec): Provider {
  return {
    name: spec.name,
    credentials: ['api_key'],
    configProblem: (p) =>
      spec.apiBase === undefined && !p.api_base
        ? { key: 'api_base', message: `is required for ${spec.name} deployments (the server's URL)` }
        : null,
    endpoint: (d) => openAIEndpoint(d, d.apiBase ?? spec.apiBase!),
    body: (_op, payload, endpoint, client) => openAIBody(payload, endpoint, client),
  };
}

export function openAIEndpoint(d: DeploymentConfig, apiBase: string): UpstreamEndpoint {
  const { origin, basePath, query } = splitBase(apiBase);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'accept-encoding': 'identity' };
  if (d.apiKey) headers.authorization = `Bearer ${d.apiKey}`;
  if (d.organization) headers['openai-organization'] = d.organization;
  const paths = openAIOperationPaths(basePath, joinQuery(query));
  return {
    origin,
    paths,
    headers,
    bodyModel: d.upstreamModel,
    streamUsage: true,
    responsePath: (id, suffix, own) =>
      `${basePath}/responses/${encodeURIComponent(id)}${suffix}${joinQuery(query, own)}`,
  };
}
