const FAILURE_WINDOW_MS = 60_000;

/**
 * Cooldown bookkeeping of one deployment: `allowedFails` failures within a minute put it out of rotation for
 * `cooldownMs`. Times are passed in (milliseconds), so the logic is pure and testable with a fake clock.
 */
export class DeploymentHealth {
  private readonly failures: number[] = [];
  private coolUntil = 0;

  constructor(
    private readonly allowedFails: number,
    private readonly cooldownMs: number,
  ) {}

  available(now: number): boolean {
    return now >= this.coolUntil;
  }

  /** Milliseconds left in the current cooldown (0 when available). */
  cooldownLeftMs(now: number): number {
    return Math.max(0, this.coolUntil - now);
  }

  /** Records one failure; true when it starts a cooldown. */
  fail(now: number): boolean {
    const f = this.failures;
    let old = 0;
    while (old < f.length && f[old] <= now - FAILURE_WINDOW_MS) old++;
    if (old > 0) f.splice(0, old);
    f.push(now);
    if (f.length < this.allowedFails || this.cooldownMs <= 0) return false;
    f.length = 0;
    this.coolUntil = now + this.cooldownMs;
    return true;
  }

  /** Failures counted in the current minute (for tests and diagnostics). */
  recentFailures(now: number): number {
    return this.failures.filter((t) => t > now - FAILURE_WINDOW_MS).length;
  }
}
