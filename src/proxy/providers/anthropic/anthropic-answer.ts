import type { Usage } from '../../streaming/usage';
import { JSON_TOOL } from './anthropic-json-mode';

type Json = Record<string, unknown>;

/** Anthropic's `stop_reason` as OpenAI's `finish_reason`; a tool use that is the JSON answer (no tool calls) is `stop`. */
export function finishReason(stop: unknown, toolCalls = true): string | null {
  switch (stop) {
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return toolCalls ? 'tool_calls' : 'stop';
    case 'refusal':
      return 'content_filter';
    default:
      return stop === null || stop === undefined ? null : 'stop';
  }
}

/**
 * Anthropic's usage as the gateway counts it: every input token is a prompt token (cache writes and reads are
 * input the model read), output tokens are completion tokens.
 */
export function anthropicUsage(u: unknown): Usage | null {
  if (!isObject(u)) return null;
  const input = num(u.input_tokens) + num(u.cache_creation_input_tokens) + num(u.cache_read_input_tokens);
  return { promptTokens: input, completionTokens: num(u.output_tokens) };
}

/** The OpenAI `usage` object of Anthropic's usage (cached reads named as OpenAI names them). */
export function openAIUsage(u: unknown): Json {
  const usage = anthropicUsage(u) ?? { promptTokens: 0, completionTokens: 0 };
  const out: Json = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
  if (isObject(u) && (num(u.cache_read_input_tokens) || num(u.cache_creation_input_tokens))) {
    out.prompt_tokens_details = { cached_tokens: num(u.cache_read_input_tokens) };
    out.cache_creation_input_tokens = num(u.cache_creation_input_tokens);
    out.cache_read_input_tokens = num(u.cache_read_input_tokens);
  }
  return out;
}

/**
 * A Messages API answer as an OpenAI chat completion, with its usage; null when the body is not a Messages answer
 * (the attempt then fails as an answer that cannot be passed on).
 */
export function fromAnthropicAnswer(
  body: Buffer,
  created: number,
  /** The client asked for a JSON answer (response_format): the answer tool's input is the content. */
  jsonAnswer = false,
): { body: Buffer; usage: Usage } | null {
  let msg: unknown;
  try {
    msg = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isObject(msg) || !Array.isArray(msg.content)) return null;
  const text: string[] = [];
  const thinking: string[] = [];
  const toolCalls: Json[] = [];
  /** The JSON answer, which is the whole content (any words around it are not JSON). */
  let json: string | null = null;
  for (const b of msg.content as unknown[]) {
    if (!isObject(b)) continue;
    if (b.type === 'text' && typeof b.text === 'string') text.push(b.text);
    else if (b.type === 'thinking' && typeof b.thinking === 'string') thinking.push(b.thinking);
    else if (b.type === 'tool_use' && jsonAnswer && b.name === JSON_TOOL) json = JSON.stringify(b.input ?? {});
    else if (b.type === 'tool_use')
      toolCalls.push({
        id: b.id,
        type: 'function',
        function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) },
      });
  }
  const message: Json = { role: 'assistant', content: json ?? (text.length ? text.join('') : null) };
  if (thinking.length) message.reasoning_content = thinking.join('');
  if (toolCalls.length) message.tool_calls = toolCalls;
  const completion = {
    id: msg.id,
    object: 'chat.completion',
    created,
    model: msg.model,
    choices: [
      { index: 0, message, finish_reason: finishReason(msg.stop_reason, toolCalls.length > 0), logprobs: null },
    ],
    usage: openAIUsage(msg.usage),
  };
  return {
    body: Buffer.from(JSON.stringify(completion)),
    usage: anthropicUsage(msg.usage) ?? { promptTokens: 0, completionTokens: 0 },
  };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
