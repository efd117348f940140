import { openAICompatible } from './openai-compatible';

/**
 * `openai/<model>`: OpenAI itself, or with `api_base` any OpenAI-compatible server (vLLM, Ollama, LM Studio), with
 * `organization` sent as `OpenAI-Organization`.
 */
export const openAIProvider = openAICompatible({ name: 'openai', apiBase: 'https://api.openai.com/v1' });
