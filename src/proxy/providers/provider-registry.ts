import type { ProviderName } from '../../config/config.schema';
import { azureProvider } from './azure.provider';
import { openAIProvider } from './openai.provider';
import type { Provider } from './provider';

/** Every provider the gateway speaks, by the prefix used in `litellm_params.model`. */
export const PROVIDER_REGISTRY: Readonly<Record<ProviderName, Provider>> = {
  azure: azureProvider,
  openai: openAIProvider,
};
