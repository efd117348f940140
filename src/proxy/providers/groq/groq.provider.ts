import { openAICompatible } from '../openai/openai-compatible';

/** Groq's OpenAI-compatible API. */
export const groqProvider = openAICompatible({ name: 'groq', apiBase: 'https://api.groq.com/openai/v1' });
