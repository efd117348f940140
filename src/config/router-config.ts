import type { FileConfig } from './config.schema';
import type { DeploymentConfig, RouterConfig } from './gateway-config';

type FallbackList = readonly Readonly<Record<string, readonly string[]>>[];

/** LiteLLM's latency-based-routing defaults: samples count for an hour; no buffer (always the fastest). */
const LATENCY_TTL_SEC = 3600;

/**
 * Routing from `router_settings`, with `litellm_settings` filling what the router settings leave unset (as in
 * LiteLLM, router settings win). Alias targets that are no model group, and fallback targets that are neither a
 * model group nor a deployment id (`model_info.id`: that deployment alone), are warned about.
 */
export function toRouterConfig(
  file: FileConfig,
  models: readonly DeploymentConfig[],
  source: string,
  warnings: string[],
): RouterConfig {
  const r = file.router_settings;
  const l = file.litellm_settings;
  const groups = new Set(models.map((m) => m.modelName));
  const ids = new Set(models.map((m) => m.id));
  const check = (where: string, names: readonly string[], orId = false) => {
    for (const g of names)
      if (!groups.has(g) && !(orId && ids.has(g)))
        warnings.push(
          `${source}: ${where}: model group "${g}" is not in model_list${orId ? ' (nor is a deployment id)' : ''}`,
        );
  };
  const merge = (name: string, fromRouter: FallbackList | undefined, fromLitellm: FallbackList | undefined) => {
    const out: Record<string, string[]> = {};
    const lists: [string, FallbackList | undefined][] = [
      [`router_settings.${name}`, fromRouter],
      [`litellm_settings.${name}`, fromLitellm],
    ];
    for (const [where, list] of lists)
      for (const entry of list ?? [])
        for (const [from, to] of Object.entries(entry)) {
          check(where, [from]);
          check(where, to, true);
          out[from] = [...(out[from] ?? []), ...to.filter((g) => !(out[from] ?? []).includes(g))];
        }
    return out;
  };
  const defaultFallbacks = r.default_fallbacks ?? l.default_fallbacks ?? [];
  check('default_fallbacks', defaultFallbacks, true);
  const aliases: Record<string, { group: string; hidden: boolean }> = {};
  for (const [alias, target] of Object.entries(r.model_group_alias)) {
    const group = typeof target === 'string' ? target : target.model;
    check('router_settings.model_group_alias', [group]);
    aliases[alias] = { group, hidden: typeof target === 'string' ? false : (target.hidden ?? false) };
  }
  const args = r.routing_strategy_args ?? {};
  return {
    routingStrategy: r.routing_strategy,
    latencyTtlMs: (args.ttl ?? LATENCY_TTL_SEC) * 1000,
    latencyBuffer: args.lowest_latency_buffer ?? 0,
    numRetries: r.num_retries ?? l.num_retries ?? 2,
    allowedFails: r.allowed_fails,
    cooldownTimeSec: r.disable_cooldowns ? 0 : r.cooldown_time,
    timeoutSec: r.timeout ?? l.request_timeout ?? 600,
    streamTimeoutSec: r.stream_timeout,
    dropParams: l.drop_params,
    tagFiltering: { enabled: r.enable_tag_filtering, matchAny: r.tag_filtering_match_any },
    fallbacks: merge('fallbacks', r.fallbacks, l.fallbacks),
    defaultFallbacks,
    contextWindowFallbacks: merge('context_window_fallbacks', r.context_window_fallbacks, l.context_window_fallbacks),
    contentPolicyFallbacks: merge('content_policy_fallbacks', r.content_policy_fallbacks, l.content_policy_fallbacks),
    aliases,
  };
}
