import { azureProvider } from './azure.provider';
import { openAIProvider } from './openai.provider';
import type { Provider } from './provider';

/**
 * Every provider the gateway speaks, by the prefix used in `litellm_params.model`. The config loader asks it which
 * providers and credential forms exist: a deployment of another provider is accepted with a warning and refused
 * per call.
 */
const PROVIDERS: readonly Provider[] = [azureProvider, openAIProvider];

export const PROVIDER_REGISTRY: Readonly<Record<string, Provider>> = Object.freeze(
  Object.fromEntries(PROVIDERS.map((p) => [p.name, p])),
);

export function providerFor(name: string): Provider | undefined {
  return Object.hasOwn(PROVIDER_REGISTRY, name) ? PROVIDER_REGISTRY[name] : undefined;
}
