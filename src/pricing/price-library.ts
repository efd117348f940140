import { calcPrice } from '@pydantic/genai-prices';

/** USD per token. */
export interface TokenPrices {
  readonly input: number;
  readonly output: number;
}

/** The gateway's provider names (litellm_params prefixes) as the price library names them. */
const LIBRARY_PROVIDER: Readonly<Record<string, string>> = {
  openai: 'openai',
  azure: 'azure',
  anthropic: 'anthropic',
  groq: 'groq',
  mistral: 'mistral',
  deepseek: 'deepseek',
  together_ai: 'together',
  fireworks_ai: 'fireworks',
  openrouter: 'openrouter',
  xai: 'x-ai',
  perplexity: 'perplexity',
  gemini: 'google',
  vertex_ai: 'google',
  bedrock: 'aws',
};

const MILLION = 1_000_000;
const cache = new Map<string, TokenPrices | null>();

/**
 * The list price of a model, from the maintained price library bundled with the gateway (`@pydantic/genai-prices`;
 * never fetched at run time). `model` may carry a provider prefix (`azure/gpt-4o`, as `base_model` often does),
 * which then names the provider. Undefined when the library does not know the model. Looked up once per model name.
 */
export function libraryPrice(provider: string, model: string): TokenPrices | undefined {
  const slash = model.indexOf('/');
  const prefix = slash > 0 ? model.slice(0, slash) : undefined;
  const p = prefix !== undefined && prefix in LIBRARY_PROVIDER ? prefix : provider;
  const name = p === prefix ? model.slice(slash + 1) : model;
  const key = `${p}\u0000${name}`;
  let found = cache.get(key);
  if (found === undefined) {
    found = lookup(LIBRARY_PROVIDER[p], name) ?? (p !== 'openai' ? lookup(undefined, name) : undefined) ?? null;
    cache.set(key, found);
  }
  return found ?? undefined;
}

function lookup(providerId: string | undefined, model: string): TokenPrices | undefined {
  try {
    // Rates from the price of a million tokens each way (tiered prices: the first tier).
    const r = calcPrice(
      { input_tokens: MILLION, output_tokens: MILLION },
      model,
      providerId ? { providerId } : undefined,
    );
    return r ? { input: r.input_price / MILLION, output: r.output_price / MILLION } : undefined;
  } catch {
    return undefined;
  }
}
