import type { Deployment } from './deployment';
import type { Strategy } from './strategies';

/**
 * The deployments serving one `model_name`. `simple-shuffle` as LiteLLM does it: weighted by `weight` when any
 * deployment sets it, else by `rpm`, else by `tpm` (a deployment without the field weighs 0), else uniform.
 */
export class ModelGroup {
  readonly weights: readonly number[];

  constructor(
    readonly name: string,
    readonly deployments: readonly Deployment[],
    /** Another routing strategy than simple-shuffle (null: simple-shuffle, below). */
    private readonly strategy: Strategy | null = null,
  ) {
    this.weights = shuffleWeights(deployments.map((d) => d.config));
  }

  /**
   * Chooses a usable deployment, preferring ones not yet `tried` in this call; `random` in [0, 1).
   * Undefined when none is usable (all cooling down or at their rpm/tpm).
   */
  pick(now: number, tried: readonly Deployment[], random: number): Deployment | undefined {
    if (this.strategy !== null) return this.strategy.pick(this.deployments, now, tried, random);
    return (
      this.choose(now, tried, random, false) ?? (tried.length > 0 ? this.choose(now, tried, random, true) : undefined)
    );
  }

  private choose(
    now: number,
    tried: readonly Deployment[],
    random: number,
    allowTried: boolean,
  ): Deployment | undefined {
    const ds = this.deployments;
    const ws = this.weights;
    // Two passes over a handful of deployments, no allocation: total the usable weight, then walk to the pick.
    let total = 0;
    let count = 0;
    for (let i = 0; i < ds.length; i++) {
      if (this.ok(ds[i], now, tried, allowTried)) {
        total += ws[i];
        count++;
      }
    }
    if (count === 0) return undefined;
    let last: Deployment | undefined;
    if (total > 0) {
      let r = random * total;
      for (let i = 0; i < ds.length; i++) {
        if (ws[i] === 0 || !this.ok(ds[i], now, tried, allowTried)) continue;
        if (r < ws[i]) return ds[i];
        r -= ws[i];
        last = ds[i];
      }
      return last; // float rounding at the top end
    }
    // Every usable deployment weighs 0: uniform among them.
    let k = Math.floor(random * count);
    for (let i = 0; i < ds.length; i++) if (this.ok(ds[i], now, tried, allowTried) && k-- === 0) return ds[i];
    return undefined;
  }

  private ok(d: Deployment, now: number, tried: readonly Deployment[], allowTried: boolean): boolean {
    return (allowTried || tried.length === 0 || !tried.includes(d)) && d.usable(now);
  }
}

export function shuffleWeights(configs: readonly { weight?: number; rpm?: number; tpm?: number }[]): number[] {
  for (const field of ['weight', 'rpm', 'tpm'] as const) {
    if (configs.some((c) => c[field] !== undefined)) return configs.map((c) => c[field] ?? 0);
  }
  return configs.map(() => 1);
}
