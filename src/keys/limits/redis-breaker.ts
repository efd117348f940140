import type { Logger } from 'pino';

/** How often an open breaker asks Redis whether it answers again. */
export const PROBE_EVERY_MS = 1_000;

/**
 * Redis failure as a state: after a command fails (a timeout, a lost connection), limits are decided in this process
 * at once, without trying Redis on each call (a silent partition would cost every call the command timeout), while
 * a probe asks Redis every second; the first answer returns the instance to the shared limits. One log line when it
 * opens and one when it closes.
 */
export class RedisBreaker {
  /** True while Redis is held unavailable. */
  open = false;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(
    private readonly ping: () => Promise<unknown>,
    private readonly log: Logger,
    private readonly probeMs = PROBE_EVERY_MS,
  ) {}

  /** A Redis command failed with `err` (during `op`). */
  trip(err: unknown, op: string): void {
    if (this.open) return;
    this.open = true;
    this.log.warn(
      { err: (err as Error)?.message, op },
      'redis rate limiting unavailable; using in-process limits meanwhile (per instance) until redis answers',
    );
    this.probe = setInterval(() => void this.tryProbe(), this.probeMs);
    this.probe.unref();
  }

  stop(): void {
    clearInterval(this.probe);
    this.probe = undefined;
  }

  private async tryProbe(): Promise<void> {
    if (this.probing || !this.open) return;
    this.probing = true;
    try {
      await this.ping();
      this.stop();
      this.open = false;
      this.log.info('redis rate limiting answers again: limits are shared by every instance');
    } catch {
      // still unavailable: the next probe asks again
    } finally {
      this.probing = false;
    }
  }
}
