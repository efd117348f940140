import { openAICompatible } from '../openai/openai-compatible';

/** xAI's Grok API (OpenAI's format). */
export const xAIProvider = openAICompatible({ name: 'xai', apiBase: 'https://api.x.ai/v1' });
