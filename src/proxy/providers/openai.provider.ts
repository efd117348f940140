import type { DeploymentConfig } from '../../config/gateway-config';
import { joinQuery, openAIBody, splitBase, type Operation, type Provider, type UpstreamEndpoint } from './provider';

const OPENAI_BASE = 'https://api.openai.com/v1';

/**
 * `openai/<model>`: OpenAI itself, or with `api_base` any OpenAI-compatible server (vLLM, Ollama, LM Studio):
 * `{api_base}/chat/completions`, `Authorization: Bearer <api_key>`, `model` rewritten to `<model>`.
 */
export const openAIProvider: Provider = {
  name: 'openai',
  credentials: ['api_key'],
  endpoint(d: DeploymentConfig): UpstreamEndpoint {
    const { origin, basePath, query } = splitBase(d.apiBase ?? OPENAI_BASE);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'accept-encoding': 'identity' };
    if (d.apiKey) headers.authorization = `Bearer ${d.apiKey}`;
    if (d.organization) headers['openai-organization'] = d.organization;
    const q = joinQuery(query);
    const paths: Record<Operation, string> = {
      chat: `${basePath}/chat/completions${q}`,
      embeddings: `${basePath}/embeddings${q}`,
    };
    return { origin, paths, headers, bodyModel: d.upstreamModel, streamUsage: true };
  },
  body: (_op, payload, endpoint) => openAIBody(payload, endpoint),
};
