import { openAICompatible } from '../openai/openai-compatible';

/** OpenRouter: many providers' models behind one OpenAI-compatible API. */
export const openRouterProvider = openAICompatible({ name: 'openrouter', apiBase: 'https://openrouter.ai/api/v1' });
