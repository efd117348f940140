import type { RoutingStrategy } from '../../config/config.schema';
import type { Deployment } from './deployment';

/**
 * The routing strategies besides simple-shuffle (which ModelGroup does itself, allocation-free). Each scores the
 * usable deployments (not cooling down, under their rpm/tpm), preferring ones not yet tried in this call, and
 * picks the lowest score; equal scores (and, for latency, scores within the buffer) are shuffled by `random`.
 */
export interface Strategy {
  pick(ds: readonly Deployment[], now: number, tried: readonly Deployment[], random: number): Deployment | undefined;
}

export function strategyFor(name: RoutingStrategy, latencyBuffer: number): Strategy | null {
  switch (name) {
    case 'simple-shuffle':
      return null;
    case 'least-busy':
      // Fewest calls in flight (on every instance, when Redis shares them).
      return scored((d) => d.active + d.othersActive, 0);
    case 'usage-based-routing':
    case 'usage-based-routing-v2':
      // Fewest tokens this minute, then fewest requests (on every instance, when Redis shares them).
      return scored((d, now) => d.usage.tokensNow(now) + d.usage.requestsNow(now) / 1e6, 0);
    case 'latency-based-routing':
      // Fastest recent answers; one never measured goes first, so every deployment gets measured.
      return scored((d, now) => d.latency?.clusterAverage(now) ?? 0, latencyBuffer);
    case 'cost-based-routing':
      // Cheapest tokens (prompt plus completion price).
      return scored((d) => d.config.inputCostPerToken + d.config.outputCostPerToken, 0);
  }
}

function scored(score: (d: Deployment, now: number) => number, buffer: number): Strategy {
  return {
    pick(ds, now, tried, random) {
      let pool = ds.filter((d) => d.usable(now) && !tried.includes(d));
      if (pool.length === 0 && tried.length > 0) pool = ds.filter((d) => d.usable(now));
      if (pool.length === 0) return undefined;
      const scores = pool.map((d) => score(d, now));
      const best = Math.min(...scores);
      const limit = best + Math.abs(best) * buffer;
      const top = pool.filter((_, i) => scores[i] <= limit);
      return top[Math.min(top.length - 1, Math.floor(random * top.length))];
    },
  };
}
