import { Inject, Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { raceTimer } from '../common/time/timeout';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { APP_LOGGER } from '../logging/logger';
import type { SpendLogRow } from './spend-log-row';
import { SpendLogStore, type StoreBatch } from './spend-log-store';

/** Rows held while the database is slow or away: a bound on the memory an outage can take (spend-logs.md). */
export const BUFFER_ROWS = 100_000;
/** Nest token: a different buffer size (tests of a full buffer). */
export const SPEND_LOG_BUFFER_ROWS = Symbol('SPEND_LOG_BUFFER_ROWS');
/**
 * Rows per COPY: a statement's fixed cost (in the embedded store ~2 ms: its file, its commit, its WAL's writes) is
 * spread over this many rows at full load; a quieter gateway writes what each write interval gathered.
 */
export const BATCH_ROWS = 5_000;
/** How long the shutdown flush may take (spend totals are flushed in parallel, within the same drain). */
const SHUTDOWN_MS = 3_000;
/** One log line per this many failed writes in a row, and at most one drop line per this interval. */
const LOG_EVERY_FAILURES = 30;
const DROP_LOG_MS = 10_000;

/**
 * Spend log rows, written off the request path: each row goes into the batch being filled (encoded at once, on
 * PostgreSQL in COPY's binary form, so no object per row waits in memory), and batches are written every write interval
 * or as soon as one is full. A failed write puts its batch back in front and is tried again at the next interval, so
 * a database outage delays rows. Past the buffer's capacity the oldest rows are dropped, counted (`dropped`) and
 * logged: memory stays bounded whatever the outage lasts.
 */
@Injectable()
export class SpendLogWriter implements OnModuleInit, OnModuleDestroy {
  /** Full batches waiting, oldest first; the one being filled is `filling`; the one being written is in neither. */
  private readonly queue: StoreBatch[] = [];
  private filling: StoreBatch | null = null;
  /** A written batch kept for reuse (its buffer), so that steady writing allocates none. */
  private spare: StoreBatch | null = null;
  /** Rows in `queue` and `filling`. */
  private held = 0;
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
    @Optional() @Inject(SPEND_LOG_BUFFER_ROWS) readonly capacity: number = BUFFER_ROWS,
  ) {
    this.everyMs = config.spend.writeIntervalMs;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.everyMs);
    this.timer.unref();
  }

  get pending(): number {
    return this.held;
  }

  append(row: SpendLogRow): void {
    let batch = this.filling;
    if (batch === null) {
      batch = this.spare ?? this.store.newBatch();
      this.spare = null;
      this.filling = batch;
    }
    batch.add(row);
    if (++this.held > this.capacity) this.dropOldest(this.held - this.capacity);
    if (batch.size >= BATCH_ROWS) {
      this.queue.push(batch);
      this.filling = null;
      if (this.writing === null && this.failures === 0) void this.flush();
    }
  }

  /** Writes everything buffered now, batch after batch; stops at the first failure. Never throws. */
  flush(): Promise<void> {
    if (this.writing) return this.writing;
    if (this.held === 0) return Promise.resolve();
    const p = this.writeAll().finally(() => {
      this.writing = null;
    });
    this.writing = p;
    return p;
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + SHUTDOWN_MS;
    while (this.held > 0 && Date.now() < deadline) {
      const before = this.held;
      await raceTimer(this.flush(), Math.max(0, deadline - Date.now()), () => undefined);
      if (this.held >= before) await new Promise((r) => setTimeout(r, 100));
    }
    if (this.held > 0)
      this.log.error({ rows: this.held }, 'spend log rows not written before shutdown (spend totals are kept)');
  }

  private async writeAll(): Promise<void> {
    if (this.filling !== null && this.filling.size > 0) {
      this.queue.push(this.filling);
      this.filling = null;
    }
    while (this.queue.length > 0) {
      const batch = this.queue.shift() as StoreBatch;
      const rows = batch.size;
      this.held -= rows;
      try {
        await this.store.write(batch);
      } catch (err) {
        // Back in front; past the capacity (rows came meanwhile), its oldest rows go.
        this.queue.unshift(batch);
        this.held += rows;
        if (this.held > this.capacity) this.dropOldest(this.held - this.capacity);
        if (this.failures++ % LOG_EVERY_FAILURES === 0)
          this.log.warn(
            { err: (err as Error).message, failures: this.failures, buffered: this.held },
            'spend log write failed; rows kept for the next attempt',
          );
        return;
      }
      if (this.failures > 0) this.log.info({ failures: this.failures }, 'spend log writes recovered');
      this.failures = 0;
      this.written += rows;
      this.batches++;
      this.lastBatch = rows;
      batch.reset();
      this.spare = batch;
    }
  }

  /** Drops the `n` oldest rows held, from the oldest batch on (the one being filled last). */
  private dropOldest(n: number): void {
    let left = n;
    while (left > 0) {
      const batch = this.queue[0] ?? this.filling;
      if (!batch) break;
      const k = Math.min(left, batch.size);
      batch.dropOldest(k);
      left -= k;
      if (batch.size === 0) {
        if (this.queue[0] === batch) this.queue.shift();
        else this.filling = null;
      }
    }
    this.held -= n - left;
    this.drop(n - left);
  }

  private drop(n: number): void {
    this.dropped += n;
    this.droppedSinceLog += n;
    const now = Date.now();
    if (now - this.lastDropLog < DROP_LOG_MS) return;
    this.lastDropLog = now;
    this.log.error(
      { dropped: this.droppedSinceLog, droppedTotal: this.dropped, capacity: this.capacity },
      'spend log buffer full: oldest rows dropped (spend totals are kept)',
    );
    this.droppedSinceLog = 0;
  }
}
