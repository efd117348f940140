import { openAICompatible } from '../openai/openai-compatible';

/** DeepSeek's API, at the base LiteLLM uses by default. */
export const deepseekProvider = openAICompatible({ name: 'deepseek', apiBase: 'https://api.deepseek.com/beta' });
