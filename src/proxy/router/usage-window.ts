const MINUTE_MS = 60_000;

/**
 * Per-deployment `rpm` / `tpm` in a fixed one-minute window (in-process). `hasRoom` is checked before a
 * deployment is chosen; requests are counted when sent, tokens when the answer's usage is known.
 */
export class UsageWindow {
  private minute = -1;
  private requests = 0;
  private tokens = 0;
  private readonly limited: boolean;

  constructor(
    readonly rpm?: number,
    readonly tpm?: number,
    /** Count even without limits (usage-based routing reads the counts). */
    track = false,
  ) {
    this.limited = track || rpm !== undefined || tpm !== undefined;
  }

  /** Tokens counted in the current minute, by this instance. */
  tokensNow(now: number): number {
    this.roll(now);
    return this.tokens;
  }

  requestsNow(now: number): number {
    this.roll(now);
    return this.requests;
  }

  hasRoom(now: number): boolean {
    if (this.rpm === undefined && this.tpm === undefined) return true;
    this.roll(now);
    return (this.rpm === undefined || this.requests < this.rpm) && (this.tpm === undefined || this.tokens < this.tpm);
  }

  countRequest(now: number): void {
    if (!this.limited) return;
    this.roll(now);
    this.requests++;
  }

  countTokens(now: number, tokens: number): void {
    if (!this.limited) return;
    this.roll(now);
    this.tokens += tokens;
  }

  /** Milliseconds until the window resets. */
  resetInMs(now: number): number {
    return MINUTE_MS - (now % MINUTE_MS);
  }

  private roll(now: number): void {
    const m = Math.floor(now / MINUTE_MS);
    if (m !== this.minute) {
      this.minute = m;
      this.requests = 0;
      this.tokens = 0;
    }
  }
}
