import { Controller, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DirectRoute } from '../common/http/direct-routes';
import { COUNT_TOKENS_PATH, MESSAGES_PATH } from './model-routes';
import { ProxyService } from './proxy.service';

/**
 * `POST /v1/messages`: Anthropic's Messages API (Claude Code, Anthropic SDKs with their base URL set to the gateway)
 * for model groups served by anthropic/ deployments; keys, limits and spend as for chat. `/v1/messages/count_tokens`:
 * its token count, on the same deployments (a call towards rate limits, no spend).
 */
@Controller()
export class MessagesController {
  constructor(private readonly proxy: ProxyService) {}

  @DirectRoute()
  @Post(MESSAGES_PATH)
  messages(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('messages', req, reply);
  }

  @DirectRoute()
  @Post(COUNT_TOKENS_PATH)
  countTokens(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('count_tokens', req, reply);
  }
}
