import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { PROVIDER_REGISTRY } from '../providers/provider-registry';
import { UpstreamPools } from '../upstream/upstream-pools';
import { Deployment } from './deployment';
import { ModelGroup } from './model-group';

/**
 * The `model_list` compiled once at start: model groups with their deployments (endpoint, pool, timeouts,
 * weights, health, usage) and the fallback chain of each group. The hot path only looks a group up and picks.
 */
@Injectable()
export class RouterService {
  private readonly groups = new Map<string, ModelGroup>();
  private readonly chains = new Map<string, readonly ModelGroup[]>();
  /** Configured group names, in config order. */
  readonly groupNames: readonly string[];
  readonly numRetries: number;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, pools: UpstreamPools) {
    const r = config.router;
    this.numRetries = r.numRetries;
    const timeoutMs = (d: { timeoutSec?: number }) => (d.timeoutSec ?? r.timeoutSec) * 1000;
    const endpoints = config.models.map((d) => PROVIDER_REGISTRY[d.provider].endpoint(d));
    // The connect timeout of a shared pool is the smallest timeout of the deployments on its origin.
    const connectMs = new Map<string, number>();
    endpoints.forEach((e, i) =>
      connectMs.set(e.origin, Math.min(connectMs.get(e.origin) ?? Infinity, timeoutMs(config.models[i]))),
    );
    const byGroup = new Map<string, Deployment[]>();
    config.models.forEach((d, i) => {
      const e = endpoints[i];
      const streamMs = (d.streamTimeoutSec ?? d.timeoutSec ?? r.timeoutSec) * 1000;
      const dep = new Deployment(
        d,
        PROVIDER_REGISTRY[d.provider],
        e,
        pools.get(e.origin, connectMs.get(e.origin)!),
        timeoutMs(d),
        streamMs,
        {
          allowedFails: r.allowedFails,
          cooldownMs: r.cooldownTimeSec * 1000,
        },
      );
      byGroup.set(d.modelName, [...(byGroup.get(d.modelName) ?? []), dep]);
    });
    for (const [name, deps] of byGroup) this.groups.set(name, new ModelGroup(name, deps));
    this.groupNames = [...byGroup.keys()];
    for (const [name, group] of this.groups) {
      const to = r.fallbacks[name] ?? [];
      const fallbacks = to.filter((g, i) => g !== name && to.indexOf(g) === i).map((g) => this.groups.get(g));
      this.chains.set(name, [group, ...fallbacks.filter((g): g is ModelGroup => !!g)]);
    }
  }

  group(name: string): ModelGroup | undefined {
    return this.groups.get(name);
  }

  /** The groups to try for a call to `group`: itself, then its fallbacks in order. */
  chain(group: ModelGroup): readonly ModelGroup[] {
    return this.chains.get(group.name) ?? [group];
  }

  deployments(): Deployment[] {
    return [...this.groups.values()].flatMap((g) => [...g.deployments]);
  }
}
