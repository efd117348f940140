/** Seconds a count stays in the window: 61 one-second slots, so an event is counted for 60 to 61 seconds. */
export const WINDOW_SECONDS = 61;
const SLOTS = WINDOW_SECONDS + 1;

/**
 * A sliding one-minute window in one-second slots: what was counted in the last minute (requests for rpm, tokens
 * for tpm). Fixed memory per key. Never lenient: an event counts for at least 60 s (at most 61 s), so "the 6th
 * request within a minute" is refused whether or not a minute boundary falls between the requests.
 */
export class MinuteWindow {
  private readonly counts = new Float64Array(SLOTS);
  private readonly seconds = new Float64Array(SLOTS).fill(-Infinity);

  add(nowMs: number, n: number): void {
    const s = Math.floor(nowMs / 1000);
    const i = s % SLOTS;
    if (this.seconds[i] !== s) {
      this.seconds[i] = s;
      this.counts[i] = 0;
    }
    this.counts[i] += n;
  }

  /**
   * Corrects what `add` counted at `atMs` by `delta` (a reservation settled to the real count), in the same slot so
   * it leaves the window with it. False when that slot has already left: nothing changed.
   */
  adjust(atMs: number, nowMs: number, delta: number): boolean {
    const s = Math.floor(atMs / 1000);
    const i = s % SLOTS;
    if (this.seconds[i] !== s || s <= Math.floor(nowMs / 1000) - WINDOW_SECONDS) return false;
    this.counts[i] = Math.max(0, this.counts[i] + delta);
    return true;
  }

  total(nowMs: number): number {
    const oldest = Math.floor(nowMs / 1000) - WINDOW_SECONDS;
    let sum = 0;
    for (let i = 0; i < SLOTS; i++) if (this.seconds[i] > oldest) sum += this.counts[i];
    return sum;
  }

  /** True when nothing in the window: the state can be dropped. */
  isEmpty(nowMs: number): boolean {
    return this.total(nowMs) === 0;
  }

  /** Milliseconds until the total drops below `limit` as old slots leave the window (0 if it already is). */
  msUntilBelow(nowMs: number, limit: number): number {
    const oldest = Math.floor(nowMs / 1000) - WINDOW_SECONDS;
    const live: [number, number][] = [];
    let total = 0;
    for (let i = 0; i < SLOTS; i++) {
      if (this.seconds[i] > oldest && this.counts[i] > 0) {
        live.push([this.seconds[i], this.counts[i]]);
        total += this.counts[i];
      }
    }
    if (total < limit) return 0;
    live.sort((a, b) => a[0] - b[0]);
    for (const [sec, count] of live) {
      total -= count;
      if (total < limit) return Math.max(0, (sec + WINDOW_SECONDS) * 1000 - nowMs);
    }
    return WINDOW_SECONDS * 1000;
  }
}
