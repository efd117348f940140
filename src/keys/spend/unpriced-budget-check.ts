import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { APP_LOGGER } from '../../logging/logger';
import { KeysRepository } from '../keys.repository';
import { AccessObjects } from '../access/access-objects.service';
import { OBJECT_KINDS } from '../access/object-kind';

/**
 * At start: a deployment without a price (neither `model_info` prices nor a model the price library knows) spends
 * nothing, so while some key or team has a budget its calls would never count towards it. One warning per such
 * deployment says so, with what to set.
 */
@Injectable()
export class UnpricedBudgetCheck implements OnApplicationBootstrap {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly keys: KeysRepository,
    @Inject(APP_LOGGER) private readonly log: Logger,
    private readonly objects: AccessObjects,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Wildcard deployments are priced per requested model, at call time.
    const unpriced = this.config.models.filter(
      (d) => d.priceSource === 'none' && !d.unavailable && d.upstreamModel !== '*',
    );
    if (unpriced.length === 0) return;
    // Teams, users and end users with a budget are in memory (loaded before the application bootstraps).
    let budgets = 0;
    for (const kind of OBJECT_KINDS) for (const o of this.objects.all(kind)) if (o.maxBudget !== null) budgets++;
    try {
      budgets += await this.keys.countWithBudget();
    } catch (err) {
      this.log.debug({ err }, 'unpriced deployment check: keys not counted');
    }
    if (budgets === 0) return;
    for (const d of unpriced)
      this.log.warn(
        `deployment ${d.id} (model ${d.modelName}) has no price: its calls cost 0 towards the ${budgets} budget(s) ` +
          'of keys, teams, users and end users; set model_info.base_model to a known model, or input_cost_per_token / output_cost_per_token',
      );
  }
}
