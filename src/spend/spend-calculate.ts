import { z } from 'zod';
import { Errors } from '../common/errors/gateway-error';
import { libraryPrice } from '../pricing/price-library';
import { callCost } from '../proxy/call-cost';
import { estimatedTokens } from '../proxy/reservation';
import type { ModelGroup } from '../proxy/router/model-group';
import { usageFromObject, type Usage } from '../proxy/streaming/usage';

/** POST /spend/calculate: LiteLLM's SpendCalculateRequest. */
export const spendCalculateBody = z.strictObject({
  model: z.string().min(1).max(256).optional(),
  messages: z.array(z.unknown()).optional(),
  completion_response: z.record(z.string(), z.unknown()).optional(),
});
export type SpendCalculateBody = z.output<typeof spendCalculateBody>;

/**
 * What a call costs, in USD, priced as the gateway prices its own calls. Before a call (`model` + `messages`): the
 * prompt only, its tokens estimated as a call's budget reservation estimates them (4 bytes of the messages' JSON a
 * token, which overcounts), no output. After a call (`completion_response`): its `usage` at the model it names. A
 * model group (or alias, or wildcard) of the config is priced at its dearest deployment, which is what the call may
 * be charged; any other model at the bundled price library's list price. As in LiteLLM, `model` wins over
 * `completion_response` when both are given.
 */
export function calculateSpend(groups: { group(name: string): ModelGroup | undefined }, body: SpendCalculateBody) {
  if (body.model !== undefined) {
    if (body.messages === undefined)
      throw Errors.badRequest("Bad Request - messages must be provided if 'model' is provided", 'messages');
    const bytes = Buffer.byteLength(JSON.stringify(body.messages));
    return { cost: priceOf(groups, body.model, { promptTokens: estimatedTokens(bytes), completionTokens: 0 }) };
  }
  const answer = body.completion_response;
  if (answer === undefined)
    throw Errors.badRequest("Bad Request - Either 'model' or 'completion_response' must be provided");
  const model = answer.model;
  if (typeof model !== 'string' || model.length === 0 || model.length > 256)
    throw Errors.badRequest(
      'Invalid completion_response.model: the model the answer names is required',
      'completion_response.model',
    );
  const usage = usageFromObject(answer.usage);
  if (!usage || !countable(usage.promptTokens) || !countable(usage.completionTokens))
    throw Errors.badRequest(
      'Invalid completion_response.usage: prompt_tokens and completion_tokens (or input_tokens and output_tokens), ' +
        'whole numbers from 0, are required',
      'completion_response.usage',
    );
  return { cost: priceOf(groups, model, usage) };
}

const countable = (n: number) => Number.isSafeInteger(n) && n >= 0;

function priceOf(groups: { group(name: string): ModelGroup | undefined }, model: string, usage: Usage): number {
  const group = groups.group(model);
  if (group) {
    let cost = 0;
    for (const d of group.deployments) cost = Math.max(cost, callCost(usage, d, model));
    return cost;
  }
  const price = libraryPrice('openai', model);
  if (!price) {
    // LiteLLM's wording, so that clients matching its message match this one.
    const slash = model.indexOf('/');
    const provider = slash > 0 ? model.slice(0, slash) : 'openai';
    throw Errors.notFound(
      `This model isn't mapped yet. model=${model}, custom_llm_provider=${provider}. ` +
        'Name a model group of the config, or give the model prices (model_info input_cost_per_token, ' +
        'output_cost_per_token)',
      'model_not_found',
      'model',
    );
  }
  return usage.promptTokens * price.input + usage.completionTokens * price.output;
}
