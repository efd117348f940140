import { libraryPrice, type TokenPrices } from './price-library';

export type PriceSource = 'config' | 'library' | 'none';

/**
 * The price of a deployment's tokens, decided once at start, in one place: `model_info` (or `litellm_params`)
 * prices win, each on its own; else the library price of `model_info.base_model` (what an Azure deployment name
 * cannot tell), else of the upstream model; else none (0). A wildcard deployment (`*`) is priced per requested
 * model at call time (`passThroughPrice`).
 */
export function deploymentPrices(d: {
  provider: string;
  upstreamModel: string;
  baseModel?: string;
  inputCostPerToken?: number;
  outputCostPerToken?: number;
}): TokenPrices & { source: PriceSource } {
  const library =
    d.upstreamModel === '*' && d.baseModel === undefined
      ? undefined
      : libraryPrice(d.provider, d.baseModel ?? d.upstreamModel);
  if (d.inputCostPerToken !== undefined || d.outputCostPerToken !== undefined)
    return {
      input: d.inputCostPerToken ?? library?.input ?? 0,
      output: d.outputCostPerToken ?? library?.output ?? 0,
      source: 'config',
    };
  if (library) return { ...library, source: 'library' };
  return { input: 0, output: 0, source: 'none' };
}

/** The library price of the model a wildcard deployment passed on (0 when unknown). */
export function passThroughPrice(provider: string, model: string): TokenPrices {
  return libraryPrice(provider, model) ?? { input: 0, output: 0 };
}
