import { Controller, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DirectRoute } from '../common/http/direct-routes';
import { azurePath, bodyModelPaths } from './model-routes';
import { ProxyService } from './proxy.service';

/** `POST /chat/completions` (also `/v1/...` and the Azure forms). The answer is written by the proxy service. */
@Controller()
export class ChatController {
  constructor(private readonly proxy: ProxyService) {}

  @DirectRoute()
  @Post(bodyModelPaths('chat'))
  chat(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('chat', req, reply);
  }

  /** Azure OpenAI clients: the path names the model group; `?api-version=` is accepted and not needed. */
  @DirectRoute()
  @Post(azurePath('chat'))
  azureChat(@Param('model') model: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('chat', req, reply, model);
  }
}
