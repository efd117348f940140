import { Injectable } from '@nestjs/common';

/**
 * The model calls running in this process, for shutdown (server.ts): after the connections still open at the bound
 * are cut, it waits for those calls to settle (each cut stream billed for what it delivered, and its spend log row
 * recorded) before the spend writers flush and the database closes.
 */
@Injectable()
export class CallDrain {
  private running = 0;
  private onIdle: (() => void) | null = null;
  /** Set when shutdown cuts the connections still open: a stream ending now was cut, not hung up on. */
  cutting = false;

  started(): void {
    this.running++;
  }

  ended(): void {
    if (--this.running === 0 && this.onIdle !== null) this.onIdle();
  }

  /** Resolves once no call runs, or after `ms`. */
  idle(ms: number): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.onIdle = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.onIdle = done;
    });
  }
}
