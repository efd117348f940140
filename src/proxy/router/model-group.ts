import type { Deployment } from './deployment';

/**
 * The deployments serving one `model_name`. `simple-shuffle` as LiteLLM does it: weighted by `weight` when any
 * deployment sets it, else by `rpm`, else by `tpm` (a deployment without the field weighs 0), else uniform.
 */
export class ModelGroup {
  readonly weights: readonly number[];

  constructor(
    readonly name: string,
    readonly deployments: readonly Deployment[],
  ) {
    this.weights = shuffleWeights(deployments.map((d) => d.config));
  }

  /**
   * Chooses a usable deployment, preferring ones not yet `tried` in this call; `random` in [0, 1).
   * Undefined when none is usable (all cooling down or at their rpm/tpm).
   */
  pick(now: number, tried: readonly Deployment[], random: number): Deployment | undefined {
    return this.choose(now, tried, random, false) ?? (tried.length > 0 ? this.choose(now, tried, random, true) : undefined);
  }

  private choose(now: number, tried: readonly Deployment[], random: number, allowTried: boolean): Deployment | undefined {
    const ds = this.deployments;
    const ws = this.weights;
    let total = 0;
    let count = 0;
    const ok: boolean[] = new Array(ds.length);
    for (let i = 0; i < ds.length; i++) {
      ok[i] = ds[i].usable(now) && (allowTried || !tried.includes(ds[i]));
      if (ok[i]) {
        total += ws[i];
        count++;
      }
    }
    if (count === 0) return undefined;
    if (total > 0) {
      let r = random * total;
      for (let i = 0; i < ds.length; i++) {
        if (!ok[i] || ws[i] === 0) continue;
        if (r < ws[i]) return ds[i];
        r -= ws[i];
      }
      for (let i = ds.length - 1; i >= 0; i--) if (ok[i] && ws[i] > 0) return ds[i]; // float rounding at the top end
    }
    // Every usable deployment weighs 0: uniform among them.
    let k = Math.floor(random * count);
    for (let i = 0; i < ds.length; i++) if (ok[i] && k-- === 0) return ds[i];
    return undefined;
  }
}

export function shuffleWeights(configs: readonly { weight?: number; rpm?: number; tpm?: number }[]): number[] {
  for (const field of ['weight', 'rpm', 'tpm'] as const) {
    if (configs.some((c) => c[field] !== undefined)) return configs.map((c) => c[field] ?? 0);
  }
  return configs.map(() => 1);
}
