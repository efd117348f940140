import type { DeploymentConfig } from '../../../config/gateway-config';
import {
  joinQuery,
  openAIBody,
  openAIOperationPaths,
  splitBase,
  type ConfigProblem,
  type Provider,
  type ProviderEnv,
  type UpstreamEndpoint,
} from '../provider';
import { EntraCredentials } from './entra-credentials';

/** Used when a deployment names no `api_version`: the current GA version. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';
/** `stream_options` is accepted from this API version on; older ones answer 400 to it. */
const STREAM_OPTIONS_SINCE = '2024-09-01';
/** `api_version` values that name Azure's v1 API (`/openai/v1/...`, no dated version) rather than a date. */
const V1_VERSIONS = new Set(['v1', 'latest', 'preview']);
/** An `api_base` that is already the v1 API's base. */
const V1_BASE = /\/openai\/v1\/?$/;

/**
 * `azure/<deployment>`: `{api_base}/openai/deployments/<deployment>/<op>?api-version=<v>`; the Responses API at
 * `{api_base}/openai/v1/responses` (no `api_version`, or `v1` / `preview`) or `{api_base}/openai/responses?api-version=`
 * (a dated version), the deployment as `model`. A deployment on Azure's v1 API (`api_version` `v1`, `latest` or
 * `preview`, or an `api_base` ending in `/openai/v1`, as the portal shows it) has every operation there:
 * `{api_base}/openai/v1/<op>`, the deployment as `model`, as LiteLLM calls it. Authenticated by
 * `api_key` (header `api-key`), or by Microsoft Entra ID as `Authorization: Bearer`: a fixed `azure_ad_token`, or a
 * client-credentials token of `tenant_id` + `client_id` + `client_secret`, fetched and renewed as it expires.
 */
export const azureProvider: Provider = {
  name: 'azure',
  credentials: ['api_key', 'azure_ad_token', 'tenant_id', 'client_id', 'client_secret'],
  configProblem,
  endpoint(d: DeploymentConfig, env: ProviderEnv): UpstreamEndpoint {
    const { origin, basePath: given, query } = splitBase(d.apiBase!);
    const v1Base = V1_BASE.test(given);
    const basePath = given.replace(V1_BASE, '');
    const version = d.apiVersion ?? (v1Base ? 'v1' : AZURE_DEFAULT_API_VERSION);
    // Azure's v1 API has no deployment paths: every operation at /openai/v1, the deployment as the body's model.
    const allV1 = V1_VERSIONS.has(version);
    const prefix = allV1
      ? `${basePath}/openai/v1`
      : `${basePath}/openai/deployments/${encodeURIComponent(d.upstreamModel)}`;
    const v1Query = version === 'preview' ? 'api-version=preview' : '';
    const q = joinQuery(allV1 ? v1Query : `api-version=${encodeURIComponent(version)}`, query);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'accept-encoding': 'identity' };
    if (d.apiKey) headers['api-key'] = d.apiKey;
    else if (d.azureAdToken) headers.authorization = `Bearer ${d.azureAdToken}`;
    const auth =
      !d.apiKey && !d.azureAdToken && d.tenantId
        ? new EntraCredentials(headers, {
            authorityHost: env.azureAuthorityHost,
            tenantId: d.tenantId,
            clientId: d.clientId!,
            clientSecret: d.clientSecret!,
          })
        : undefined;
    // The Responses API has no deployment path: the deployment is the body's `model`.
    const v1 = d.apiVersion === undefined || allV1;
    const responses = `${basePath}/openai${v1 ? '/v1' : ''}/responses`;
    const responsesQuery = v1 ? v1Query : `api-version=${encodeURIComponent(version)}`;
    const paths = openAIOperationPaths(prefix, q);
    paths.responses = `${responses}${joinQuery(responsesQuery, query)}`;
    return {
      origin,
      paths,
      headers,
      bodyModel: d.upstreamModel,
      streamUsage: version.slice(0, 10) >= STREAM_OPTIONS_SINCE,
      auth,
      responsePath: (id, suffix, own) =>
        `${responses}/${encodeURIComponent(id)}${suffix}${joinQuery(responsesQuery, query, own)}`,
    };
  },
  body: (_op, payload, endpoint, client) => openAIBody(payload, endpoint, client),
};

const ENTRA_FIELDS = ['tenant_id', 'client_id', 'client_secret'] as const;

function configProblem(p: Readonly<Record<string, unknown>>): ConfigProblem | null {
  if (!p.api_base) return { key: 'api_base', message: 'is required for azure deployments' };
  if (ENTRA_FIELDS.some((k) => p[k] !== undefined))
    for (const key of ENTRA_FIELDS)
      if (!p[key]) return { key, message: 'is required with tenant_id, client_id and client_secret (Entra ID)' };
  return null;
}
