import { providerFor } from '../proxy/providers/provider-registry';
import type { FileConfig } from './config.schema';
import type { DeploymentConfig } from './gateway-config';
import { deploymentPrices } from '../pricing/deployment-prices';
import { splitModel } from './config.util';

type Entry = FileConfig['model_list'][number];

/**
 * The `model_list`, resolved: provider and upstream name (a model without a provider prefix is an OpenAI model, as
 * in LiteLLM), prices, and whether the gateway can call it at all. A deployment of a provider the gateway does not
 * implement, or naming only credential forms its provider cannot use, does not stop the start: it gets one warning
 * and `unavailable`, and is never called (so never called without the credential its config names).
 */
export function toDeployments(
  list: readonly Entry[],
  credentials: ReadonlyMap<number, readonly string[]>,
  file: string,
  warnings: string[],
): DeploymentConfig[] {
  return list.flatMap((d, i): DeploymentConfig[] => {
    const p = d.litellm_params;
    const at = `model_list[${i}]`;
    const { provider, upstreamModel } = splitModel(p.model, p.custom_llm_provider);
    const impl = providerFor(provider);
    let unavailable: string | undefined;
    if (!impl) {
      unavailable = `provider '${provider}' is not implemented by the gateway`;
    } else if (p.api_base !== undefined && !isHttpUrl(p.api_base)) {
      unavailable = 'api_base is not an http(s) URL';
    } else if (upstreamModel === '') {
      // LiteLLM starts with `model: azure/` (its own example config has one); there is nothing here to call.
      unavailable = `no model name after '${provider}/'`;
    } else {
      const named = credentials.get(i) ?? [];
      const usable = named.filter((c) => impl.credentials.includes(c));
      const unusable = named.filter((c) => !impl.credentials.includes(c));
      if (named.length > 0 && usable.length === 0)
        unavailable = `credential ${unusable.join(', ')} is not supported for ${provider} deployments (use ${impl.credentials.join(', ')})`;
      else if (unusable.length > 0)
        warnings.push(
          `${file}: ${at}.litellm_params: ${unusable.join(', ')} not supported for ${provider} deployments; ${usable.join(', ')} is used`,
        );
    }
    if (unavailable) warnings.push(`${file}: ${at} (${d.model_name}): ${unavailable}; calls to it answer 400`);
    const price = deploymentPrices({
      provider,
      upstreamModel,
      baseModel: d.model_info?.base_model,
      inputCostPerToken: d.model_info?.input_cost_per_token ?? p.input_cost_per_token,
      outputCostPerToken: d.model_info?.output_cost_per_token ?? p.output_cost_per_token,
    });
    const one: DeploymentConfig = {
      id: d.model_info?.id ?? `${d.model_name}#${i}`,
      modelName: d.model_name,
      provider,
      upstreamModel,
      wildcard: d.model_name.includes('*'),
      unavailable,
      // Unset here: litellm_settings.drop_params holds (router-config.ts).
      dropParams: p.drop_params,
      baseModel: d.model_info?.base_model,
      priceSource: price.source,
      apiBase: p.api_base?.replace(/\/+$/, ''),
      apiKey: p.api_key,
      apiVersion: p.api_version,
      organization: typeof p.organization === 'string' ? p.organization : undefined,
      azureAdToken: p.azure_ad_token,
      tenantId: p.tenant_id,
      clientId: p.client_id,
      clientSecret: p.client_secret,
      rpm: p.rpm,
      tpm: p.tpm,
      weight: p.weight,
      tags: p.tags,
      timeoutSec: p.timeout,
      streamTimeoutSec: p.stream_timeout,
      inputCostPerToken: price.input,
      outputCostPerToken: price.output,
      maxOutputTokens: d.model_info?.max_output_tokens,
      ...(d.model_info?.mode !== undefined && { mode: d.model_info.mode }),
    };
    // LiteLLM makes one deployment per organization of a list (each with an id of its own).
    if (!Array.isArray(p.organization)) return [one];
    return p.organization.map((org) => ({ ...one, id: `${one.id}:${org}`, organization: org }));
  });
}

/** LiteLLM takes any text as api_base and fails the calls; the gateway never calls one that is no http(s) URL. */
function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}
