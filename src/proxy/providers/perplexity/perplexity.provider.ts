import { openAICompatible } from '../openai/openai-compatible';

/** Perplexity's Sonar API (OpenAI's format). */
export const perplexityProvider = openAICompatible({ name: 'perplexity', apiBase: 'https://api.perplexity.ai' });
