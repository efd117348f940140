import type { DeploymentConfig } from '../../config/gateway-config';
import { joinQuery, openAIBody, splitBase, type Operation, type Provider, type UpstreamEndpoint } from './provider';

/** Used when a deployment names no `api_version`: the current GA version. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';
/** `stream_options` is accepted from this API version on; older ones answer 400 to it. */
const STREAM_OPTIONS_SINCE = '2024-09-01';

/** `azure/<deployment>`: `{api_base}/openai/deployments/<deployment>/<op>?api-version=<v>`, header `api-key`. */
export const azureProvider: Provider = {
  name: 'azure',
  credentials: ['api_key'],
  endpoint(d: DeploymentConfig): UpstreamEndpoint {
    // The config loader requires api_base for azure deployments.
    const { origin, basePath, query } = splitBase(d.apiBase!);
    const version = d.apiVersion ?? AZURE_DEFAULT_API_VERSION;
    const prefix = `${basePath}/openai/deployments/${encodeURIComponent(d.upstreamModel)}`;
    const q = joinQuery(`api-version=${encodeURIComponent(version)}`, query);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'accept-encoding': 'identity' };
    if (d.apiKey) headers['api-key'] = d.apiKey;
    const paths: Record<Operation, string> = {
      chat: `${prefix}/chat/completions${q}`,
      embeddings: `${prefix}/embeddings${q}`,
    };
    return {
      origin,
      paths,
      headers,
      bodyModel: d.upstreamModel,
      streamUsage: version.slice(0, 10) >= STREAM_OPTIONS_SINCE,
    };
  },
  body: (_op, payload, endpoint) => openAIBody(payload, endpoint),
};
