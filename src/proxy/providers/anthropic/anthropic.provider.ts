import { GatewayError } from '../../../common/errors/gateway-error';
import { redactSecretBytes } from '../../../common/redact';
import { clientBody, joinQuery, serializeBody, splitBase, type Provider, type ResponseSide } from '../provider';
import { anthropicUsage, fromAnthropicAnswer } from './anthropic-answer';
import { anthropicClientError } from './anthropic-errors';
import { wantsJsonAnswer } from './anthropic-json-mode';
import { AnthropicMessagesRelay } from './anthropic-messages-relay';
import { toAnthropicRequest } from './anthropic-request';
import { AnthropicChatStream } from './anthropic-stream';

const ANTHROPIC_BASE = 'https://api.anthropic.com';
/** The Messages API version the translation is written against. */
export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * Anthropic's answers: OpenAI chat calls get them translated; `/v1/messages` callers speak Anthropic's format, so
 * theirs pass through as they came, only read for their usage.
 */
const response: ResponseSide = {
  answer(op, body, created, payload) {
    if (op === 'chat') return fromAnthropicAnswer(body, created, wantsJsonAnswer(payload));
    // A token count (`{"input_tokens": n}`) is no model call: nothing to bill.
    if (op === 'count_tokens') return { body, usage: null };
    try {
      const msg = JSON.parse(body.toString('utf8')) as { usage?: unknown } | null;
      return typeof msg === 'object' && msg !== null ? { body, usage: anthropicUsage(msg.usage) } : null;
    } catch {
      return null;
    }
  },
  stream: (op, created, includeUsage, payload) =>
    op === 'chat'
      ? new AnthropicChatStream(created, includeUsage, wantsJsonAnswer(payload))
      : new AnthropicMessagesRelay(),
  error(op, status, body, apiKey) {
    if (op === 'chat') return anthropicClientError(status, body, apiKey);
    return new GatewayError(status, 'upstream_error', `Upstream answered ${status}`, {
      raw: { body: redactSecretBytes(body, apiKey), contentType: 'application/json' },
    });
  },
};

/**
 * `anthropic/<model>`: Anthropic's Messages API (`{api_base}/v1/messages`, headers `x-api-key` and
 * `anthropic-version`). OpenAI chat requests are translated to it and back; `/v1/messages` calls are sent as they
 * came. `api_base` may be given with or without its `/v1`.
 */
export const anthropicProvider: Provider = {
  name: 'anthropic',
  credentials: ['api_key'],
  endpoint(d) {
    const { origin, basePath, query } = splitBase(d.apiBase ?? ANTHROPIC_BASE);
    const base = basePath.replace(/\/v1(\/messages)?$/, '');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'accept-encoding': 'identity',
      'anthropic-version': ANTHROPIC_VERSION,
    };
    if (d.apiKey) headers['x-api-key'] = d.apiKey;
    const messages = `${base}/v1/messages${joinQuery(query)}`;
    const paths = { chat: messages, messages, count_tokens: `${base}/v1/messages/count_tokens${joinQuery(query)}` };
    return { origin, paths, headers, bodyModel: d.upstreamModel, streamUsage: false };
  },
  body(op, payload, endpoint, client) {
    if (op === 'chat') return serializeBody(toAnthropicRequest(payload, endpoint.bodyModel));
    payload.model = endpoint.bodyModel;
    return clientBody(payload, client);
  },
  response,
};
