import { Inject, Injectable, OnApplicationBootstrap, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { APP_LOGGER } from '../../logging/logger';
import { KeysRepository } from '../keys.repository';
import { TEAM_LIMITS, type TeamLimits } from '../team-limits';

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
    @Optional() @Inject(TEAM_LIMITS) private readonly teams: ReadonlyMap<string, TeamLimits> = new Map(),
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Wildcard deployments are priced per requested model, at call time.
    const unpriced = this.config.models.filter(
      (d) => d.priceSource === 'none' && !d.unavailable && d.upstreamModel !== '*',
    );
    if (unpriced.length === 0) return;
    let budgets = [...this.teams.values()].filter((t) => t.maxBudget !== null).length;
    try {
      budgets += await this.keys.countWithBudget();
    } catch (err) {
      this.log.debug({ err }, 'unpriced deployment check: keys not counted');
    }
    if (budgets === 0) return;
    for (const d of unpriced)
      this.log.warn(
        `deployment ${d.id} (model ${d.modelName}) has no price: its calls cost 0 towards the ${budgets} budget(s) ` +
          'of keys and teams; set model_info.base_model to a known model, or input_cost_per_token / output_cost_per_token',
      );
  }
}
