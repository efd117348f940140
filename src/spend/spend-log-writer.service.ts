import { Inject, Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { raceTimer } from '../common/time/timeout';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { APP_LOGGER } from '../logging/logger';
import { RingBuffer } from './ring-buffer';
import type { SpendLogRow } from './spend-log-row';
import { SpendLogStore } from './spend-log-store';

/** Rows held while the database is slow or away: a bound on the memory an outage can take (spend-logs.md). */
export const BUFFER_ROWS = 100_000;
/** Nest token: a different buffer size (tests of a full buffer). */
export const SPEND_LOG_BUFFER_ROWS = Symbol('SPEND_LOG_BUFFER_ROWS');
/** Rows per INSERT statement. */
export const BATCH_ROWS = 1_000;
/** How long the shutdown flush may take (spend totals are flushed in parallel, within the same drain). */
const SHUTDOWN_MS = 3_000;
/** One log line per this many failed writes in a row, and at most one drop line per this interval. */
const LOG_EVERY_FAILURES = 30;
const DROP_LOG_MS = 10_000;

/**
 * Spend log rows, written off the request path: appended to a bounded buffer, written every write interval (or as
 * soon as a batch is full) in multi-row INSERTs of up to BATCH_ROWS. A failed write puts its rows back in front and
 * is tried again at the next interval, so a database outage delays rows. A full buffer drops its oldest rows,
 * counted (`dropped`) and logged: memory stays bounded whatever the outage lasts.
 */
@Injectable()
export class SpendLogWriter implements OnModuleInit, OnModuleDestroy {
  private readonly buffer: RingBuffer<SpendLogRow>;
  private readonly everyMs: number;
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> | null = null;
  private failures = 0;
  private droppedSinceLog = 0;
  private lastDropLog = 0;
  /** Totals since start, for metrics and docs: rows written, rows dropped, statements, last batch size. */
  written = 0;
  dropped = 0;
  batches = 0;
  lastBatch = 0;

  constructor(
    private readonly store: SpendLogStore,
    @Inject(APP_LOGGER) private readonly log: Logger,
    @Inject(GATEWAY_CONFIG) config: Pick<GatewayConfig, 'spend'>,
    @Optional() @Inject(SPEND_LOG_BUFFER_ROWS) capacity: number = BUFFER_ROWS,
  ) {
    this.buffer = new RingBuffer(capacity);
    this.everyMs = config.spend.writeIntervalMs;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.everyMs);
    this.timer.unref();
  }

  get pending(): number {
    return this.buffer.size;
  }

  get capacity(): number {
    return this.buffer.capacity;
  }

  append(row: SpendLogRow): void {
    if (this.buffer.push(row) !== undefined) this.drop(1);
    if (this.buffer.size >= BATCH_ROWS && this.writing === null && this.failures === 0) void this.flush();
  }

  /** Writes everything buffered now, batch after batch; stops at the first failure. Never throws. */
  flush(): Promise<void> {
    if (this.writing) return this.writing;
    if (this.buffer.size === 0) return Promise.resolve();
    const p = this.writeAll().finally(() => {
      this.writing = null;
    });
    this.writing = p;
    return p;
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + SHUTDOWN_MS;
    while (this.buffer.size > 0 && Date.now() < deadline) {
      const before = this.buffer.size;
      await raceTimer(this.flush(), Math.max(0, deadline - Date.now()), () => undefined);
      if (this.buffer.size >= before) await new Promise((r) => setTimeout(r, 100));
    }
    if (this.buffer.size > 0)
      this.log.error({ rows: this.buffer.size }, 'spend log rows not written before shutdown (spend totals are kept)');
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.size > 0) {
      const batch = this.buffer.take(BATCH_ROWS);
      try {
        await this.store.insert(batch);
      } catch (err) {
        const lost = this.buffer.putBack(batch);
        if (lost > 0) this.drop(lost);
        if (this.failures++ % LOG_EVERY_FAILURES === 0)
          this.log.warn(
            { err: (err as Error).message, failures: this.failures, buffered: this.buffer.size },
            'spend log write failed; rows kept for the next attempt',
          );
        return;
      }
      if (this.failures > 0) this.log.info({ failures: this.failures }, 'spend log writes recovered');
      this.failures = 0;
      this.written += batch.length;
      this.batches++;
      this.lastBatch = batch.length;
    }
  }

  private drop(n: number): void {
    this.dropped += n;
    this.droppedSinceLog += n;
    const now = Date.now();
    if (now - this.lastDropLog < DROP_LOG_MS) return;
    this.lastDropLog = now;
    this.log.error(
      { dropped: this.droppedSinceLog, droppedTotal: this.dropped, capacity: this.buffer.capacity },
      'spend log buffer full: oldest rows dropped (spend totals are kept)',
    );
    this.droppedSinceLog = 0;
  }
}
