import { openAICompatible } from '../openai/openai-compatible';

/** Google Gemini through its OpenAI-compatible endpoint (the key is a Gemini API key). */
export const geminiProvider = openAICompatible({
  name: 'gemini',
  apiBase: 'https://generativelanguage.googleapis.com/v1beta/openai',
});
