import { Injectable } from '@nestjs/common';
import { ModelCatalog } from '../proxy/models/model-catalog.service';
import type { Deployment } from '../proxy/router/deployment';
import { RouterService } from '../proxy/router/router.service';

/** One deployment as `GET /health` shows it: what `/model/info` shows (no secret), plus its current state. */
export interface EndpointHealth {
  readonly model_name: string;
  readonly model_id: string;
  /** `provider/name`, as configured. */
  readonly model: string;
  /** Without credentials or query, as in `/model/info`. */
  readonly api_base?: string;
  /** Failures counted in the last minute (`allowed_fails` of them start a cooldown). */
  readonly recent_failures: number;
  readonly cooldown_remaining_seconds?: number;
  readonly error?: string;
}

export interface HealthReport {
  readonly healthy_endpoints: EndpointHealth[];
  readonly unhealthy_endpoints: EndpointHealth[];
  readonly healthy_count: number;
  readonly unhealthy_count: number;
}

/**
 * LiteLLM's `GET /health`, without calling any upstream: LiteLLM sends a test request to every deployment (slow,
 * and it spends money); here the router already knows which deployments failed recently and are cooling down.
 * Healthy = in rotation now; unhealthy = cooling down after `allowed_fails` failures within a minute.
 */
@Injectable()
export class DeploymentsHealthService {
  constructor(
    private readonly router: RouterService,
    private readonly catalog: ModelCatalog,
  ) {}

  /** `groups`: the model groups the caller may see (as for `/model/info`); `id`: only that deployment. */
  report(groups: readonly string[], id?: string, now = Date.now()): HealthReport {
    const healthy: EndpointHealth[] = [];
    const unhealthy: EndpointHealth[] = [];
    for (const name of groups) {
      const deployments = this.router.group(name)?.deployments ?? [];
      // Both lists hold a group's deployments in config order.
      const infos = this.catalog.modelInfo([name]).data;
      deployments.forEach((d, i) => {
        if (id !== undefined && d.id !== id) return;
        const params = infos[i]?.litellm_params ?? {};
        const entry = describe(d, params, now);
        (entry.cooldown_remaining_seconds === undefined ? healthy : unhealthy).push(entry);
      });
    }
    return {
      healthy_endpoints: healthy,
      unhealthy_endpoints: unhealthy,
      healthy_count: healthy.length,
      unhealthy_count: unhealthy.length,
    };
  }
}

function describe(d: Deployment, params: Readonly<Record<string, unknown>>, now: number): EndpointHealth {
  const base = {
    model_name: d.config.modelName,
    model_id: d.id,
    model: typeof params.model === 'string' ? params.model : `${d.config.provider}/${d.config.upstreamModel}`,
    ...(typeof params.api_base === 'string' ? { api_base: params.api_base } : {}),
    recent_failures: d.health.recentFailures(now),
  };
  const left = d.health.cooldownLeftMs(now);
  if (left <= 0) return base;
  return {
    ...base,
    cooldown_remaining_seconds: Math.ceil(left / 1000),
    error: 'cooling down after repeated failures (router_settings.allowed_fails within a minute)',
  };
}
