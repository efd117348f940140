import { openAICompatible } from '../openai/openai-compatible';

/** Mistral's La Plateforme API (OpenAI's format). */
export const mistralProvider = openAICompatible({ name: 'mistral', apiBase: 'https://api.mistral.ai/v1' });
