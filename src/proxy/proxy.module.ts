import { Module } from '@nestjs/common';
import { CallDrain } from './call-drain';
import { ChatController } from './chat.controller';
import { EmbeddingsController } from './embeddings.controller';
import { ForwarderService } from './forwarder.service';
import { MessagesController } from './messages.controller';
import { ModelsController } from './models.controller';
import { OperationsController } from './operations.controller';
import { ResponsesController } from './responses.controller';
import { StoredResponses } from './responses/stored-responses.service';
import { ModelCatalog } from './models/model-catalog.service';
import { ProxyService } from './proxy.service';
import { RouterService } from './router/router.service';
import { SharedRouterState } from './router/shared-router-state';
import { UpstreamPools } from './upstream/upstream-pools';

/**
 * The model calls (chat, embeddings, responses, completions, moderations, images, audio) forwarded to `model_list`
 * deployments (providers/: Azure, OpenAI and the OpenAI-compatible family, Anthropic), Anthropic's `/v1/messages` to
 * anthropic/ deployments, streaming,
 * routing with retries, cooldowns and fallbacks; plus `/models` and `/model/info`. Caller admission and spend go
 * through `CALL_ACCOUNTING` (provided globally by the keys module).
 */
/** The controllers of the model-call routes, whose @DirectRoute() methods Fastify calls directly (common/http/pipeline.ts). */
export const DIRECT_CONTROLLERS = [
  ChatController,
  EmbeddingsController,
  MessagesController,
  ResponsesController,
  OperationsController,
] as const;

@Module({
  controllers: [...DIRECT_CONTROLLERS, ModelsController],
  providers: [
    UpstreamPools,
    RouterService,
    SharedRouterState,
    ModelCatalog,
    ForwarderService,
    ProxyService,
    StoredResponses,
    CallDrain,
  ],
  exports: [RouterService, ModelCatalog],
})
export class ProxyModule {}
