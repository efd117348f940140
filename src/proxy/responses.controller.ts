import { Controller, Delete, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DirectRoute } from '../common/http/direct-routes';
import { azurePath, bodyModelPaths } from './model-routes';
import { ProxyService } from './proxy.service';
import { StoredResponses } from './responses/stored-responses.service';

const ONE = ':response_id';

/**
 * The Responses API: `POST /responses` (also `/v1/...` and the Azure forms), and the stored response by id (`GET`,
 * `DELETE`, `GET .../input_items`, `POST .../cancel`), sent to the deployment that holds it.
 */
@Controller()
export class ResponsesController {
  constructor(
    private readonly proxy: ProxyService,
    private readonly stored: StoredResponses,
  ) {}

  @DirectRoute()
  @Post(bodyModelPaths('responses'))
  create(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('responses', req, reply);
  }

  @DirectRoute()
  @Post(azurePath('responses'))
  azureCreate(@Param('model') model: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('responses', req, reply, model);
  }

  @DirectRoute()
  @Get(bodyModelPaths('responses', `/${ONE}`))
  retrieve(@Param('response_id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.stored.handle('GET', id, '', req, reply);
  }

  @DirectRoute()
  @Delete(bodyModelPaths('responses', `/${ONE}`))
  remove(@Param('response_id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.stored.handle('DELETE', id, '', req, reply);
  }

  @DirectRoute()
  @Get(bodyModelPaths('responses', `/${ONE}/input_items`))
  inputItems(@Param('response_id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.stored.handle('GET', id, '/input_items', req, reply);
  }

  @DirectRoute()
  @Post(bodyModelPaths('responses', `/${ONE}/cancel`))
  cancel(@Param('response_id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.stored.handle('POST', id, '/cancel', req, reply);
  }
}
