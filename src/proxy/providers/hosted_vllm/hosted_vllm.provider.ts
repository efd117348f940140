import { openAICompatible } from '../openai/openai-compatible';

/** A vLLM server: OpenAI's format at the required api_base. */
export const hostedVllmProvider = openAICompatible({ name: 'hosted_vllm' });
