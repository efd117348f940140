import { openAICompatible } from '../openai/openai-compatible';

/** Together AI's OpenAI-compatible API. */
export const togetherAIProvider = openAICompatible({ name: 'together_ai', apiBase: 'https://api.together.xyz/v1' });
