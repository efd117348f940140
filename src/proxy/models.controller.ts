import { Controller, Get, Inject, Param, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller';
import { Errors } from '../common/errors/gateway-error';
import { CALL_ACCOUNTING, type CallAccounting } from './call-accounting';
import { ModelCatalog } from './models/model-catalog.service';
import { modelGroupInfoQuery, modelInfoV2Query } from './models/model-info-queries';
import { parseInput } from '../keys/dto/parse';

/**
 * The model groups the caller may use (`/models`, OpenAI list shape), their deployments (`/model/info`, paged in
 * `/v2/model/info`) and each group summed up (`/model_group/info`).
 */
@Controller()
export class ModelsController {
  constructor(
    private readonly catalog: ModelCatalog,
    @Inject(CALL_ACCOUNTING) private readonly accounting: CallAccounting,
  ) {}

  @Get(['models', 'v1/models', 'openai/models', 'openai/v1/models'])
  list(@Req() req: FastifyRequest) {
    return this.catalog.modelList(this.visible(req));
  }

  @Get(['models/:model', 'v1/models/:model', 'openai/models/:model', 'openai/v1/models/:model'])
  one(@Param('model') model: string, @Req() req: FastifyRequest) {
    if (!this.visible(req).includes(model))
      throw Errors.notFound(`Model '${model.slice(0, 100)}' not found`, 'model_not_found', 'model');
    return this.catalog.model(model);
  }

  /** `litellm_model_id` (the `x-litellm-model-id` of an answer): that deployment only, 400 when the caller has none. */
  @Get(['model/info', 'v1/model/info'])
  info(@Query('litellm_model_id') id: unknown, @Req() req: FastifyRequest) {
    const wanted = typeof id === 'string' ? id : undefined;
    const info = this.catalog.modelInfo(this.visible(req), wanted);
    if (wanted !== undefined && info.data.length === 0)
      throw Errors.badRequest(
        `Model id = ${wanted.slice(0, 100)} not found on the gateway`,
        'litellm_model_id',
        'model_not_found',
      );
    return info;
  }

  /** LiteLLM's paged form: `model`, `modelId`, `search` narrow it; `page` (from 1) and `size` (default 50) page it. */
  @Get('v2/model/info')
  infoV2(@Query() query: unknown, @Req() req: FastifyRequest) {
    const q = parseInput(modelInfoV2Query, query, 'query');
    return this.catalog.modelInfoPage(this.visible(req), { ...q, id: q.modelId });
  }

  /** The caller's model groups summed up (`model_group`: that group only). */
  @Get('model_group/info')
  groupInfo(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.catalog.modelGroups(this.visible(req), parseInput(modelGroupInfoQuery, query, 'query').model_group);
  }

  private visible(req: FastifyRequest): readonly string[] {
    // Set by the global auth guard; handed to the keys accounting as is.
    return this.catalog.visible(this.accounting.allowedModels(req.caller as Caller));
  }
}
