/** Reads per second at most, over time (a burst of BURST first). */
const READS_PER_SECOND = 10;
const BURST = 10;
/** Longest a caller waits for its read (a database that does not answer). */
const MAX_WAIT_MS = 1_000;

interface Batch {
  readonly waiting: (() => void)[];
  readonly timer: NodeJS.Timeout;
}

/**
 * Reads asked for by requests (a hash the key cache does not hold), coalesced and bounded: callers that arrive while
 * a read runs share the next one (the running one may have begun before what they look for was committed), and at
 * most READS_PER_SECOND reads a second begin. Past that rate, a caller is answered at once with no read: a flood of
 * made-up keys costs the database a few reads a second, whatever its size.
 */
export class OnDemandReads {
  private next: Batch | null = null;
  private running = false;
  private allowance = BURST;
  private refilledAt = Date.now();

  /** `read` never rejects (its caller logs). */
  constructor(private readonly read: () => Promise<void>) {}

  /** Settles after a read begun after this call has ended; false at once when the rate allows no read. */
  after(): Promise<boolean> {
    if (this.next === null) {
      if (!this.take()) return Promise.resolve(false);
      const batch: Batch = { waiting: [], timer: setTimeout(() => this.expire(batch), MAX_WAIT_MS) };
      batch.timer.unref();
      this.next = batch;
      // After the current I/O callbacks: requests read together share the read.
      if (!this.running) setImmediate(() => this.send());
    }
    const batch = this.next;
    return new Promise((resolve) => batch.waiting.push(() => resolve(true)));
  }

  private send(): void {
    const batch = this.next;
    if (batch === null || this.running) return;
    this.next = null;
    this.running = true;
    void this.read().finally(() => {
      release(batch);
      this.running = false;
      this.send();
    });
  }

  /** Waited too long (a read before it does not end): its callers are answered, and it reads nothing. */
  private expire(batch: Batch): void {
    release(batch);
    if (this.next === batch) this.next = null;
  }

  private take(): boolean {
    const now = Date.now();
    this.allowance = Math.min(BURST, this.allowance + ((now - this.refilledAt) * READS_PER_SECOND) / 1000);
    this.refilledAt = now;
    if (this.allowance < 1) return false;
    this.allowance--;
    return true;
  }
}

function release(batch: Batch): void {
  clearTimeout(batch.timer);
  for (const resolve of batch.waiting.splice(0)) resolve();
}
