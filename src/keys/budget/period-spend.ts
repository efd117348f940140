import { nextResetMs } from './budget-period';

/**
 * Spend in a budget period, as a key, team, user or end user holds it in memory: the database total as last learned
 * plus what this instance recorded since (within a period it only grows), and the period's end (`resetAtMs`;
 * Infinity: no period). Once the end has passed, the spend held counts as 0 until the database answers the next
 * period. Keys and the other limited objects share this, so a period ends the same way for each of them.
 */
export class PeriodSpend {
  constructor(
    public spend: number,
    public resetAtMs: number,
    /** The period's budget_duration, when known: the next period's end is then known before the database says it. */
    readonly budgetDuration: string | null = null,
  ) {}

  /** Whether the period has ended by `nowMs`: its spend no longer counts and the next period is due. */
  periodOver(nowMs: number): boolean {
    return this.resetAtMs <= nowMs;
  }

  /** Spend in the current period, as of `nowMs`. */
  spendAt(nowMs: number): number {
    return this.periodOver(nowMs) ? 0 : this.spend;
  }

  /**
   * The period as the shared counter knows it (limit-scripts.ts): its end; 0 for none. Once it is over and the
   * database has not told the next one yet, the next one's end as the database will compute it (its spend then starts
   * again from what this instance holds, 0): the same period whichever instance names it, told by the database or
   * not, so the spend counted in it is kept when an instance learns its end (with a period that restarted there, the
   * calls an instance made before another learned the end were forgotten). Without a duration, just after its end.
   * `duration`: the period's length when the holder does not keep it (a team member's, its budget's).
   */
  periodAt(nowMs: number, duration = this.budgetDuration): number {
    if (this.resetAtMs === Infinity) return 0;
    if (!this.periodOver(nowMs)) return this.resetAtMs;
    const next = duration !== null ? nextResetMs(this.resetAtMs, duration, nowMs) : null;
    return next ?? this.resetAtMs + 1;
  }

  /**
   * A database total: a later period replaces what is held; the same period only raises it (another instance's
   * newer total may have arrived first); an older one is ignored.
   */
  adopt(total: number, resetAtMs: number, unflushed: number): void {
    if (resetAtMs > this.resetAtMs) {
      this.resetAtMs = resetAtMs;
      this.spend = total + unflushed;
    } else if (resetAtMs === this.resetAtMs) this.spend = Math.max(this.spend, total + unflushed);
  }
}

/** A row's `budget_reset_at` as a period end in ms (Infinity: no period). */
export function resetAtMsOf(budgetResetAt: Date | null): number {
  return budgetResetAt ? budgetResetAt.getTime() : Infinity;
}
