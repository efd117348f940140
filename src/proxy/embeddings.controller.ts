import { Controller, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DirectRoute } from '../common/http/direct-routes';
import { azurePath, bodyModelPaths } from './model-routes';
import { ProxyService } from './proxy.service';

/** `POST /embeddings` (also `/v1/...` and the Azure forms). */
@Controller()
export class EmbeddingsController {
  constructor(private readonly proxy: ProxyService) {}

  @DirectRoute()
  @Post(bodyModelPaths('embeddings'))
  embeddings(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('embeddings', req, reply);
  }

  @DirectRoute()
  @Post(azurePath('embeddings'))
  azureEmbeddings(
    @Param('model') model: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.proxy.handle('embeddings', req, reply, model);
  }
}
