import { Errors } from '../../../common/errors/gateway-error';
import { addJsonTool, jsonAnswerSchema } from './anthropic-json-mode';

/** Used when the client names no `max_tokens`: the Messages API requires one. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

type Json = Record<string, unknown>;
type Block = Json;
interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

/**
 * An OpenAI chat request as an Anthropic Messages request: system and developer messages become `system`, tool
 * calls `tool_use` blocks, tool messages `tool_result` blocks of a user turn, image parts `image` blocks (data URLs
 * as base64, http(s) URLs by reference); consecutive turns of one role are merged, as the API wants them alternating;
 * a `response_format` asking for JSON becomes a tool (anthropic-json-mode.ts).
 * Fields the Messages API does not have are left out (it refuses unknown fields). Bad input: 400 naming the field.
 */
export function toAnthropicRequest(payload: Json, model: string): Json {
  const system: Block[] = [];
  const turns: Turn[] = [];
  const messages = payload.messages as unknown[];
  messages.forEach((raw, i) => {
    const m = raw as Json;
    const at = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...textBlocks(m.content, `${at}.content`));
        break;
      case 'user':
        push(turns, 'user', userBlocks(m.content, `${at}.content`));
        break;
      case 'assistant':
        push(turns, 'assistant', assistantBlocks(m, at));
        break;
      case 'tool':
        push(turns, 'user', [toolResult(m, at)]);
        break;
      default:
        throw bad(`${at}.role`, `'${String(m.role)}' is not a role anthropic/ models take`);
    }
  });
  const out: Json = { model, messages: turns };
  if (system.length) out.system = system.length === 1 && !system[0].cache_control ? system[0].text : system;
  out.max_tokens = positiveInt(payload.max_tokens ?? payload.max_completion_tokens) ?? ANTHROPIC_DEFAULT_MAX_TOKENS;
  for (const k of ['temperature', 'top_p', 'top_k'] as const) if (typeof payload[k] === 'number') out[k] = payload[k];
  const stop = payload.stop;
  if (typeof stop === 'string') out.stop_sequences = [stop];
  else if (Array.isArray(stop) && stop.length) out.stop_sequences = stop;
  if (payload.stream === true) out.stream = true;
  if (Array.isArray(payload.tools) && payload.tools.length) out.tools = payload.tools.map(toTool);
  const choice = toolChoice(payload.tool_choice, payload.parallel_tool_calls);
  if (choice) out.tool_choice = choice;
  if (typeof payload.user === 'string') out.metadata = { user_id: payload.user };
  if (isObject(payload.thinking)) out.thinking = payload.thinking;
  const schema = jsonAnswerSchema(payload.response_format);
  if (schema) addJsonTool(out, schema);
  return out;
}

function push(turns: Turn[], role: Turn['role'], content: Block[]): void {
  const last = turns[turns.length - 1];
  if (last?.role === role) last.content.push(...content);
  else turns.push({ role, content });
}

function textBlocks(content: unknown, at: string): Block[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) throw bad(at, 'must be a string or an array of text parts');
  return content.map((p: unknown, j) => {
    const part = p as Json;
    if (!isObject(part) || part.type !== 'text' || typeof part.text !== 'string')
      throw bad(`${at}[${j}]`, 'must be a text part');
    return withCache({ type: 'text', text: part.text }, part);
  });
}

function userBlocks(content: unknown, at: string): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw bad(at, 'must be a string or an array of content parts');
  return content.map((p: unknown, j) => {
    const part = p as Json;
    if (isObject(part) && part.type === 'text' && typeof part.text === 'string')
      return withCache({ type: 'text', text: part.text }, part);
    if (isObject(part) && part.type === 'image_url') return withCache(image(part.image_url, `${at}[${j}]`), part);
    throw bad(`${at}[${j}]`, 'must be a text or image_url part (other parts are not supported for anthropic/)');
  });
}

const DATA_URL = /^data:([^;,]+);base64,/;

function image(ref: unknown, at: string): Block {
  const url = typeof ref === 'string' ? ref : isObject(ref) ? ref.url : undefined;
  if (typeof url !== 'string') throw bad(`${at}.image_url.url`, 'is required');
  const data = DATA_URL.exec(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1], data: url.slice(data[0].length) } };
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw bad(`${at}.image_url.url`, 'must be a data: URL (base64) or an http(s) URL');
}

function assistantBlocks(m: Json, at: string): Block[] {
  const blocks = m.content === null || m.content === undefined ? [] : textBlocks(m.content, `${at}.content`);
  const calls = m.tool_calls;
  if (calls === undefined || calls === null) return blocks;
  if (!Array.isArray(calls)) throw bad(`${at}.tool_calls`, 'must be an array');
  calls.forEach((c: unknown, j) => {
    const call = c as Json;
    const fn = isObject(call) ? call.function : undefined;
    if (!isObject(fn) || typeof fn.name !== 'string' || typeof call.id !== 'string')
      throw bad(`${at}.tool_calls[${j}]`, 'must have an id and a function with a name');
    blocks.push({
      type: 'tool_use',
      id: call.id,
      name: fn.name,
      input: toolInput(fn.arguments, `${at}.tool_calls[${j}]`),
    });
  });
  return blocks;
}

function toolInput(args: unknown, at: string): unknown {
  if (args === undefined || args === null || args === '') return {};
  if (typeof args !== 'string') throw bad(`${at}.function.arguments`, 'must be a JSON string');
  try {
    const input: unknown = JSON.parse(args);
    if (isObject(input)) return input;
  } catch {
    /* refused below */
  }
  throw bad(`${at}.function.arguments`, 'must be a JSON object in a string');
}

function toolResult(m: Json, at: string): Block {
  if (typeof m.tool_call_id !== 'string') throw bad(`${at}.tool_call_id`, 'is required for a tool message');
  const content = typeof m.content === 'string' ? m.content : userBlocks(m.content, `${at}.content`);
  return { type: 'tool_result', tool_use_id: m.tool_call_id, content };
}

function toTool(t: unknown, i: number): Json {
  const fn = isObject(t) ? t.function : undefined;
  if (!isObject(t) || t.type !== 'function' || !isObject(fn) || typeof fn.name !== 'string')
    throw bad(`tools[${i}]`, "must be {type: 'function', function: {name, parameters}}");
  const tool: Json = { name: fn.name, input_schema: isObject(fn.parameters) ? fn.parameters : { type: 'object' } };
  if (typeof fn.description === 'string') tool.description = fn.description;
  return withCache(tool, t);
}

function toolChoice(choice: unknown, parallel: unknown): Json | undefined {
  let out: Json | undefined;
  if (choice === 'auto') out = { type: 'auto' };
  else if (choice === 'required') out = { type: 'any' };
  else if (choice === 'none') out = { type: 'none' };
  else if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === 'string')
    out = { type: 'tool', name: choice.function.name };
  else if (choice !== undefined && choice !== null)
    throw bad('tool_choice', "must be 'auto', 'required', 'none' or {type: 'function', function: {name}}");
  if (parallel === false && out?.type !== 'none') (out ??= { type: 'auto' }).disable_parallel_tool_use = true;
  return out;
}

/** Anthropic's prompt-caching marker, passed on where a client put it on a part or a tool. */
function withCache(block: Block, from: Json): Block {
  if (isObject(from.cache_control)) block.cache_control = from.cache_control;
  return block;
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(param: string, message: string) {
  return Errors.badRequest(`Invalid request body: '${param}' ${message}`, param);
}
