import { anthropicProvider } from './anthropic/anthropic.provider';
import { azureProvider } from './azure/azure.provider';
import { deepseekProvider } from './deepseek/deepseek.provider';
import { fireworksAIProvider } from './fireworks_ai/fireworks_ai.provider';
import { geminiProvider } from './gemini/gemini.provider';
import { groqProvider } from './groq/groq.provider';
import { hostedVllmProvider } from './hosted_vllm/hosted_vllm.provider';
import { mistralProvider } from './mistral/mistral.provider';
import { openAIProvider } from './openai/openai.provider';
import { openRouterProvider } from './openrouter/openrouter.provider';
import { perplexityProvider } from './perplexity/perplexity.provider';
import type { Provider } from './provider';
import { togetherAIProvider } from './together_ai/together_ai.provider';
import { xAIProvider } from './xai/xai.provider';

/**
 * Every provider the gateway speaks, by the prefix used in `litellm_params.model`. The config loader asks this
 * table whether a provider is implemented and what its deployments need; a model of any other provider is
 * accepted with a warning and its calls answer 400.
 */
const PROVIDERS: readonly Provider[] = [
  azureProvider,
  openAIProvider,
  anthropicProvider,
  groqProvider,
  mistralProvider,
  deepseekProvider,
  togetherAIProvider,
  fireworksAIProvider,
  openRouterProvider,
  xAIProvider,
  perplexityProvider,
  geminiProvider,
  hostedVllmProvider,
];

export const PROVIDER_REGISTRY: Readonly<Record<string, Provider>> = Object.freeze(
  Object.fromEntries(PROVIDERS.map((p) => [p.name, p])),
);

/** The provider of that name, or undefined when the gateway does not implement it. */
export function providerFor(name: string): Provider | undefined {
  return Object.hasOwn(PROVIDER_REGISTRY, name) ? PROVIDER_REGISTRY[name] : undefined;
}
