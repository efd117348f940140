import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { GatewayMetrics } from '../../metrics/gateway-metrics';
import { family, labelText } from '../../metrics/prom-text';
import type { ObjectKind } from './object-kind';

/** LiteLLM has no Prometheus metric for soft budgets (it alerts instead), so the gateway's own name. */
export const SOFT_BUDGET_METRIC = 'gateway_soft_budget_crossings_total';

export type BudgetHolder = 'key' | ObjectKind;
const HOLDERS: readonly BudgetHolder[] = ['key', 'team', 'user', 'end_user'];
/** The label naming the object, LiteLLM's label names for keys, teams, users and end users. */
const ID_LABEL: Readonly<Record<BudgetHolder, string>> = {
  key: 'hashed_api_key',
  team: 'team',
  user: 'user',
  end_user: 'end_user',
};
/** Named series kept at most; crossings of further objects count under the id "overflow". */
const MAX_NAMED = 10_000;
const OVERFLOW = 'overflow';

/**
 * Soft budgets crossed by this instance's spend writes, on /metrics. A public /metrics shows a count per kind of
 * object only; with `require_auth_for_metrics_endpoint` (an admin scrapes it) a series per object, named by id.
 */
@Injectable()
export class SoftBudgetCrossings implements OnModuleInit {
  readonly perKind: Record<BudgetHolder, number> = { key: 0, team: 0, user: 0, end_user: 0 };
  private readonly named = new Map<string, number>();
  private readonly showCallers: boolean;

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Optional() @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics | null = null,
  ) {
    this.showCallers = config.metrics.requireAuth;
  }

  onModuleInit(): void {
    this.metrics?.collectors.push((out) => this.render(out));
  }

  crossed(kind: BudgetHolder, id: string): void {
    this.perKind[kind]++;
    if (!this.showCallers) return;
    let name = `${kind}\u0000${id}`;
    if (!this.named.has(name) && this.named.size >= MAX_NAMED) name = `${kind}\u0000${OVERFLOW}`;
    this.named.set(name, (this.named.get(name) ?? 0) + 1);
  }

  render(out: string[]): void {
    family(
      out,
      SOFT_BUDGET_METRIC,
      'counter',
      'Soft budgets crossed (once per object and budget period; the calls are not refused), by kind of object.',
    );
    if (!this.showCallers) {
      for (const kind of HOLDERS) out.push(`${SOFT_BUDGET_METRIC}${labelText(['kind'], [kind])} ${this.perKind[kind]}`);
      return;
    }
    for (const [name, count] of this.named) {
      const [kind, id] = name.split('\u0000') as [BudgetHolder, string];
      out.push(`${SOFT_BUDGET_METRIC}${labelText(['kind', ID_LABEL[kind]], [kind, id])} ${count}`);
    }
  }
}
