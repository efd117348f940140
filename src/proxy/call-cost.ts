import { passThroughPrice } from '../pricing/deployment-prices';
import type { Deployment } from './router/deployment';
import type { Usage } from './streaming/usage';

/**
 * The cost in USD of a call's usage on a deployment: the one place spend is computed, for every provider (each
 * reads its own usage into prompt and completion tokens first). The deployment's prices, except that a wildcard
 * deployment passing the requested model on is priced as that model (looked up once per name).
 */
export function callCost(usage: Usage, d: Deployment, requested: string): number {
  const cfg = d.config;
  const price =
    d.passThrough && cfg.priceSource !== 'config' ? passThroughPrice(cfg.provider, d.upstreamFor(requested)) : null;
  return price
    ? usage.promptTokens * price.input + usage.completionTokens * price.output
    : usage.promptTokens * cfg.inputCostPerToken + usage.completionTokens * cfg.outputCostPerToken;
}
