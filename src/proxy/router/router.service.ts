import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { providerFor } from '../providers/provider-registry';
import { UpstreamPools } from '../upstream/upstream-pools';
import { Deployment } from './deployment';
import { ModelGroup } from './model-group';
import { strategyFor, type Strategy } from './strategies';
import { TagRouting } from './tag-routing';
import { WildcardGroups } from './wildcards';

/**
 * A fallback naming a deployment id calls that deployment whatever its state (cooling down, at its rpm/tpm), as
 * LiteLLM does: it is the operator's explicit last resort. Its retries go to it again.
 */
const FALLBACK_PIN: Strategy = { pick: (ds) => ds[0] };

/**
 * The `model_list` compiled once at start: model groups with their deployments (endpoint, pool, timeouts,
 * weights, health, usage) and the fallback chain of each group. The hot path only looks a group up and picks;
 * aliases and wildcard groups are looked at only when no group has the exact name.
 */
@Injectable()
export class RouterService {
  private readonly groups = new Map<string, ModelGroup>();
  private readonly chains = new Map<string, readonly ModelGroup[]>();
  private readonly aliases = new Map<string, ModelGroup>();
  private readonly wildcards: WildcardGroups;
  /** Groups none of whose deployments can be called, with the reason (provider or credential not implemented). */
  private readonly unavailable = new Map<string, string>();
  private readonly contextWindow = new Map<string, readonly ModelGroup[]>();
  private readonly contentPolicy = new Map<string, readonly ModelGroup[]>();
  /** Per deployment id: a chain of that deployment alone (in a group of its group's name). */
  private readonly pins = new Map<string, readonly ModelGroup[]>();
  /** Per deployment id: that deployment alone, as a fallback target naming its id (see `FALLBACK_PIN`). */
  private readonly fallbackPins = new Map<string, ModelGroup>();
  /** Set when `enable_tag_filtering` is on. */
  private readonly tagRouting?: TagRouting;
  /** Configured group names, in config order. */
  readonly groupNames: readonly string[];
  readonly numRetries: number;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig, pools: UpstreamPools) {
    const r = config.router;
    this.numRetries = r.numRetries;
    const callable = config.models.filter((d) => !d.unavailable);
    for (const d of config.models)
      if (d.unavailable && !callable.some((c) => c.modelName === d.modelName))
        this.unavailable.set(d.modelName, d.unavailable);
    const timeoutMs = (d: { timeoutSec?: number }) => (d.timeoutSec ?? r.timeoutSec) * 1000;
    const env = { azureAuthorityHost: config.azureAuthorityHost };
    const endpoints = callable.map((d) => providerFor(d.provider)!.endpoint(d, env));
    // The connect timeout of a shared pool is the smallest timeout of the deployments on its origin.
    const connectMs = new Map<string, number>();
    endpoints.forEach((e, i) =>
      connectMs.set(e.origin, Math.min(connectMs.get(e.origin) ?? Infinity, timeoutMs(callable[i]))),
    );
    const byGroup = new Map<string, Deployment[]>();
    callable.forEach((d, i) => {
      const e = endpoints[i];
      const streamMs = (d.streamTimeoutSec ?? d.timeoutSec ?? r.streamTimeoutSec ?? r.timeoutSec) * 1000;
      const dep = new Deployment(
        d,
        providerFor(d.provider)!,
        e,
        pools.get(e.origin, connectMs.get(e.origin)!),
        timeoutMs(d),
        streamMs,
        {
          allowedFails: r.allowedFails,
          cooldownMs: r.cooldownTimeSec * 1000,
          dropParams: r.dropParams,
          trackUsage: r.routingStrategy.startsWith('usage-based'),
          latencyTtlMs: r.routingStrategy === 'latency-based-routing' ? r.latencyTtlMs : undefined,
        },
      );
      byGroup.set(d.modelName, [...(byGroup.get(d.modelName) ?? []), dep]);
    });
    const strategy = strategyFor(r.routingStrategy, r.latencyBuffer);
    for (const [name, deps] of byGroup) this.groups.set(name, new ModelGroup(name, deps, strategy));
    if (r.tagFiltering.enabled) this.tagRouting = new TagRouting(r.tagFiltering.matchAny, strategy);
    for (const [name, deps] of byGroup)
      for (const d of deps) {
        this.pins.set(d.id, [new ModelGroup(name, [d], strategy)]);
        this.fallbackPins.set(d.id, new ModelGroup(name, [d], FALLBACK_PIN));
      }
    this.groupNames = [...new Set(config.models.map((d) => d.modelName))];
    // A fallback target is a group, else a deployment id. Its group keeps the group's name: a key's `models` bound it.
    const lookup = (names: readonly string[], self: string) =>
      names
        .filter((g, i) => g !== self && names.indexOf(g) === i)
        .map((g) => this.groups.get(g) ?? this.fallbackPins.get(g))
        .filter((g): g is ModelGroup => !!g);
    for (const [name, group] of this.groups) {
      const own = r.fallbacks[name];
      this.chains.set(name, [group, ...lookup(own && own.length > 0 ? own : r.defaultFallbacks, name)]);
      this.contextWindow.set(name, lookup(r.contextWindowFallbacks[name] ?? [], name));
      this.contentPolicy.set(name, lookup(r.contentPolicyFallbacks[name] ?? [], name));
    }
    for (const [alias, { group }] of Object.entries(r.aliases)) {
      const g = this.groups.get(group);
      if (g && !this.groups.has(alias)) this.aliases.set(alias, g);
    }
    this.wildcards = new WildcardGroups([...this.groups.values()].filter((g) => g.name.includes('*')));
  }

  /** The group serving a requested model name: its own, else an alias, else the most specific wildcard group. */
  group(name: string): ModelGroup | undefined {
    return this.groups.get(name) ?? this.aliases.get(name) ?? this.wildcards.match(name);
  }

  /** Why calls to `name` cannot be served, when it names a group of deployments the gateway cannot call. */
  unavailableReason(name: string): string | undefined {
    return this.unavailable.get(name);
  }

  /** The groups to try for a call to `group`: itself, then its fallbacks in order. */
  chain(group: ModelGroup): readonly ModelGroup[] {
    return this.chains.get(group.name) ?? [group];
  }

  /**
   * The groups to try for a call to `group` with `tags`: with tag filtering on, the group narrowed to the deployments
   * serving those tags (400 when none does), then its fallbacks; else `chain(group)`.
   */
  chainForTags(group: ModelGroup, tags: readonly string[] | undefined): readonly ModelGroup[] {
    const chain = this.chain(group);
    const tagged = this.tagRouting?.pick(group, tags);
    return tagged === undefined || tagged === group ? chain : [tagged, ...chain.slice(1)];
  }

  /** Groups to try when a deployment of `group` says the prompt is too long / its content filter refused. */
  specialFallbacks(group: ModelGroup, kind: 'context_window' | 'content_policy'): readonly ModelGroup[] {
    return (kind === 'context_window' ? this.contextWindow : this.contentPolicy).get(group.name) ?? [];
  }

  /**
   * The chain that sends a call to deployment `id` only (retries included, no fallbacks): for calls about state kept
   * by that deployment (a stored response). Undefined for an id not configured.
   */
  pinned(id: string): readonly ModelGroup[] | undefined {
    return this.pins.get(id);
  }

  deployments(): Deployment[] {
    return [...this.groups.values()].flatMap((g) => [...g.deployments]);
  }
}
