const MINUTE_MS = 60_000;

/**
 * Per-deployment `rpm` / `tpm` in a fixed one-minute window (in-process). `hasRoom` is checked before a
 * deployment is chosen; requests are counted when sent, tokens when the answer's usage is known.
 */
export class UsageWindow {
  private minute = -1;
  private requests = 0;
  private tokens = 0;
  private sharedTokens = 0;
  private sharedRequests = 0;
  private readonly limited: boolean;

  constructor(
    readonly rpm?: number,
    readonly tpm?: number,
    /** Count even without limits (usage-based routing reads the counts). */
    track = false,
  ) {
    this.limited = track || rpm !== undefined || tpm !== undefined;
  }

  /** Tokens counted in the current minute (this instance's, plus other instances' when shared). */
  tokensNow(now: number): number {
    this.roll(now);
    return this.tokens + this.sharedTokens;
  }

  requestsNow(now: number): number {
    this.roll(now);
    return this.requests + this.sharedRequests;
  }

  /** Other instances' counts for the current minute (from the shared routing state). */
  setShared(minute: number, tokens: number, requests: number): void {
    if (minute !== this.minute) return;
    this.sharedTokens = tokens;
    this.sharedRequests = requests;
  }

  /** This instance's counts of the current minute, for sharing. */
  local(now: number): { minute: number; tokens: number; requests: number } {
    this.roll(now);
    return { minute: this.minute, tokens: this.tokens, requests: this.requests };
  }

  hasRoom(now: number): boolean {
    if (!this.limited) return true;
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
      this.sharedTokens = 0;
      this.sharedRequests = 0;
    }
  }
}
