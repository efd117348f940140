import { openAICompatible } from '../openai/openai-compatible';

/** Fireworks AI's OpenAI-compatible inference API. */
export const fireworksAIProvider = openAICompatible({
  name: 'fireworks_ai',
  apiBase: 'https://api.fireworks.ai/inference/v1',
});
