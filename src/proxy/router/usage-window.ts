const MINUTE_MS = 60_000;

/**
 * Per-deployment `rpm` / `tpm` in a fixed one-minute window. `hasRoom` is checked before a deployment is chosen;
 * requests are counted when sent, tokens when the answer's usage is known. With Redis, the background sync
 * (shared-router-state.ts) pushes this instance's new counts and sets what the other instances counted this minute:
 * the counts read here are this instance's own (always current) plus the others' as of the last sync.
 */
export class UsageWindow {
  private minute = -1;
  private requests = 0;
  private tokens = 0;
  /** The other instances' counts this minute (last sync), and how much of this instance's was pushed. */
  private othersRequests = 0;
  private othersTokens = 0;
  private pushedRequests = 0;
  private pushedTokens = 0;
  private readonly limited: boolean;

  constructor(
    readonly rpm?: number,
    readonly tpm?: number,
    /** Count even without limits (usage-based routing reads the counts). */
    track = false,
  ) {
    this.limited = track || rpm !== undefined || tpm !== undefined;
  }

  /** Tokens counted in the current minute, by all instances. */
  tokensNow(now: number): number {
    this.roll(now);
    return this.tokens + this.othersTokens;
  }

  requestsNow(now: number): number {
    this.roll(now);
    return this.requests + this.othersRequests;
  }

  hasRoom(now: number): boolean {
    if (this.rpm === undefined && this.tpm === undefined) return true;
    this.roll(now);
    return (
      (this.rpm === undefined || this.requests + this.othersRequests < this.rpm) &&
      (this.tpm === undefined || this.tokens + this.othersTokens < this.tpm)
    );
  }

  /** Whether anything is counted at all (usage-based routing, or an rpm/tpm): only then is it synced. */
  get tracked(): boolean {
    return this.limited;
  }

  /** This instance's counts of the current minute not pushed yet, now taken as pushed (null: none). */
  takeUnpushed(now: number): { requests: number; tokens: number } | null {
    this.roll(now);
    const requests = this.requests - this.pushedRequests;
    const tokens = this.tokens - this.pushedTokens;
    if (requests === 0 && tokens === 0) return null;
    this.pushedRequests = this.requests;
    this.pushedTokens = this.tokens;
    return { requests, tokens };
  }

  /** A push of `minute` failed: its counts are pushed again next time (unless the minute is over). */
  unpush(now: number, d: { requests: number; tokens: number }): void {
    this.roll(now);
    this.pushedRequests = Math.max(0, this.pushedRequests - d.requests);
    this.pushedTokens = Math.max(0, this.pushedTokens - d.tokens);
  }

  /** The cluster's totals for the minute of `now` (this instance's pushed counts included), read from Redis. */
  setCluster(now: number, requests: number, tokens: number): void {
    this.roll(now);
    this.othersRequests = Math.max(0, requests - this.pushedRequests);
    this.othersTokens = Math.max(0, tokens - this.pushedTokens);
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
      this.othersRequests = 0;
      this.othersTokens = 0;
      this.pushedRequests = 0;
      this.pushedTokens = 0;
    }
  }
}
