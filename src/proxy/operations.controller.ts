import { Controller, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DirectRoute } from '../common/http/direct-routes';
import { azurePath, bodyModelPaths } from './model-routes';
import { ProxyService } from './proxy.service';

/**
 * The other model operations of the OpenAI API, each also under `/v1` and in the Azure forms: completions,
 * moderations, images, and audio (speech, transcriptions, translations).
 */
@Controller()
export class OperationsController {
  constructor(private readonly proxy: ProxyService) {}

  /** Text completions (the legacy API). */
  @DirectRoute()
  @Post(bodyModelPaths('completions'))
  completions(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('completions', req, reply);
  }

  @DirectRoute()
  @Post(azurePath('completions'))
  azureCompletions(
    @Param('model') model: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.proxy.handle('completions', req, reply, model);
  }

  /** Moderations. */
  @DirectRoute()
  @Post(bodyModelPaths('moderations'))
  moderations(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('moderations', req, reply);
  }

  @DirectRoute()
  @Post(azurePath('moderations'))
  azureModerations(
    @Param('model') model: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.proxy.handle('moderations', req, reply, model);
  }

  /** Image generation. */
  @DirectRoute()
  @Post(bodyModelPaths('images'))
  images(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('images', req, reply);
  }

  @DirectRoute()
  @Post(azurePath('images'))
  azureImages(@Param('model') model: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('images', req, reply, model);
  }

  /** Text to speech: the audio is streamed through as it comes. */
  @DirectRoute()
  @Post(bodyModelPaths('speech'))
  speech(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('speech', req, reply);
  }

  @DirectRoute()
  @Post(azurePath('speech'))
  azureSpeech(@Param('model') model: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('speech', req, reply, model);
  }

  /** Speech to text: the multipart upload is streamed to the upstream. */
  @DirectRoute()
  @Post(bodyModelPaths('transcriptions'))
  transcriptions(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('transcriptions', req, reply);
  }

  @DirectRoute()
  @Post(azurePath('transcriptions'))
  azureTranscriptions(
    @Param('model') model: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.proxy.handle('transcriptions', req, reply, model);
  }

  /** Speech to English text: the multipart upload is streamed to the upstream. */
  @DirectRoute()
  @Post(bodyModelPaths('translations'))
  translations(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.proxy.handle('translations', req, reply);
  }

  @DirectRoute()
  @Post(azurePath('translations'))
  azureTranslations(
    @Param('model') model: string,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.proxy.handle('translations', req, reply, model);
  }
}
