import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller';
import { CALL_ACCOUNTING, type CallAccounting } from '../proxy/call-accounting';
import { ModelCatalog } from '../proxy/models/model-catalog.service';
import { DeploymentsHealthService, type HealthReport } from './deployments-health.service';

/**
 * `GET /health` (an info route: it needs a credential): the deployments of the model groups the caller may use,
 * split into healthy and cooling down. The probes under `/health/...` are the public ones.
 */
@Controller()
export class DeploymentsHealthController {
  constructor(
    private readonly health: DeploymentsHealthService,
    private readonly catalog: ModelCatalog,
    @Inject(CALL_ACCOUNTING) private readonly accounting: CallAccounting,
  ) {}

  /** LiteLLM's filters: `model` (a model group) and `model_id` (one deployment). */
  @Get('health')
  check(@Query('model') model: unknown, @Query('model_id') id: unknown, @Req() req: FastifyRequest): HealthReport {
    // Set by the global auth guard (this route is not public).
    const groups = this.catalog.visible(this.accounting.allowedModels(req.caller as Caller));
    return this.health.report(
      typeof model === 'string' ? groups.filter((g) => g === model) : groups,
      typeof id === 'string' ? id : undefined,
    );
  }
}
