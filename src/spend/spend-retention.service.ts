import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { addUtcMonths } from '../common/time/duration';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { APP_LOGGER } from '../logging/logger';
import { DAY_MS, dayOf } from './spend-log-days';
import { DEFAULT_PARTITION, SpendLogStore } from './spend-log-store';

/** Rows per DELETE in the day that straddles the cut, and DELETEs per run: each statement stays short. */
export const DELETE_BATCH = 5_000;
const MAX_BATCHES = 200;
/** The first run waits this long after start (the gateway serves first). */
const FIRST_RUN_MS = 30_000;

export interface RetentionRun {
  readonly droppedDays: number;
  readonly deletedRows: number;
  /** Another instance held the retention lock: it is doing the work. */
  readonly busy: boolean;
}

/**
 * `maximum_spend_logs_retention_period`: rows older than it go. Whole days older than the cut are dropped (their
 * partition: no row-by-row delete, no bloat); in the day the cut falls in, rows are deleted in bounded batches. Each
 * statement takes a transaction-scoped advisory lock: while one instance works, the others skip their run.
 */
@Injectable()
export class SpendRetention implements OnModuleInit, OnModuleDestroy {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<RetentionRun> | null = null;

  constructor(
    private readonly store: SpendLogStore,
    @Inject(GATEWAY_CONFIG) private readonly config: Pick<GatewayConfig, 'spend'>,
    @Inject(APP_LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    const { retentionMs, retentionMonths } = this.config.spend;
    if (retentionMs === null && retentionMonths === undefined) return;
    const tick = () => void this.run().catch(() => undefined);
    this.timers.push(setTimeout(tick, FIRST_RUN_MS), setInterval(tick, this.config.spend.retentionIntervalMs));
    this.timers.forEach((t) => t.unref());
  }

  onModuleDestroy(): void {
    this.timers.forEach((t) => clearTimeout(t));
  }

  /** The instant before which rows are deleted at `now`; null without a retention period. */
  private cutOf(now: number): number | null {
    const { retentionMs, retentionMonths } = this.config.spend;
    // Months back: the same day of the month, or that month's last day (Aug 31 - 2mo: Jun 30, not Jul 1).
    if (retentionMonths !== undefined) return addUtcMonths(now, -retentionMonths);
    return retentionMs === null ? null : now - retentionMs;
  }

  /** One run now (one at a time in this process). Failures are logged and end the run. */
  run(now = Date.now()): Promise<RetentionRun> {
    this.running ??= this.runOnce(now).finally(() => (this.running = null));
    return this.running;
  }

  private async runOnce(now: number): Promise<RetentionRun> {
    const result = { droppedDays: 0, deletedRows: 0, busy: false };
    const cut = this.cutOf(now);
    if (cut === null) return result;
    try {
      const days = await this.store.partitionDays();
      for (const day of days) {
        if (day + DAY_MS > cut) break;
        if (!(await this.store.dropDay(day))) return { ...result, busy: true };
        result.droppedDays++;
      }
      // The day the cut falls in, then the default partition (rows of days without their own partition).
      for (const table of days.includes(dayOf(cut)) ? [dayOf(cut), DEFAULT_PARTITION] : [DEFAULT_PARTITION]) {
        for (let i = 0; i < MAX_BATCHES; i++) {
          const n = await this.store.deleteOlder(table, cut, DELETE_BATCH);
          if (n < 0) return { ...result, busy: true };
          result.deletedRows += n;
          if (n < DELETE_BATCH) break;
        }
      }
      if (result.droppedDays || result.deletedRows)
        this.log.info({ ...result, before: new Date(cut).toISOString() }, 'old spend log rows deleted');
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'deleting old spend log rows failed; tried again next interval');
    }
    return result;
  }
}
