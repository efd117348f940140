/** Seconds a count stays in the window: 61 one-second slots, so an event is counted for 60 to 61 seconds. */
export const WINDOW_SECONDS = 61;
const SLOTS = WINDOW_SECONDS + 1;

/** The slot of second `s` in every window. */
export function slotOf(s: number): number {
  return s % SLOTS;
}

/**
 * A sliding one-minute window in one-second slots: what was counted in the last minute (requests for rpm, tokens
 * for tpm). Fixed memory per key. Never lenient: an event counts for at least 60 s (at most 61 s), so "the 6th
 * request within a minute" is refused whether or not a minute boundary falls between the requests.
 */
export class MinuteWindow {
  private readonly counts = new Float64Array(SLOTS);
  private readonly seconds = new Float64Array(SLOTS).fill(-Infinity);
  /** 1: the slot had left the window when last looked (at `expiredAt`), and its count is not in `sum`. */
  private readonly out = new Uint8Array(SLOTS);
  /**
   * The counts of the slots not `out`: the total, kept as counts change, with the slots that left the window taken
   * off once per second, so the total asked on every call is not a pass over all slots.
   */
  private sum = 0;
  private expiredAt = -Infinity;

  add(nowMs: number, n: number): void {
    const s = Math.floor(nowMs / 1000);
    this.addAt(s, s % SLOTS, n);
  }

  /**
   * `add` at second `s` (`Math.floor(nowMs / 1000)`), whose slot is `i` (`slotOf(s)`): a limiter counting several
   * windows at one instant works both out once.
   */
  addAt(s: number, i: number, n: number): void {
    if (this.seconds[i] !== s) {
      if (this.out[i] === 0) this.sum -= this.counts[i];
      this.seconds[i] = s;
      this.counts[i] = 0;
      // A second already out of the window as last looked (a total asked about a later moment) is not in `sum`.
      this.out[i] = s <= this.expiredAt - WINDOW_SECONDS ? 1 : 0;
    }
    this.counts[i] += n;
    if (this.out[i] === 0) this.sum += n;
  }

  /**
   * Corrects what `add` counted at `atMs` by `delta` (a reservation settled to the real count), in the same slot so
   * it leaves the window with it. False when that slot has already left: nothing changed.
   */
  adjust(atMs: number, nowMs: number, delta: number): boolean {
    const s = Math.floor(atMs / 1000);
    return this.adjustAt(s, s % SLOTS, Math.floor(nowMs / 1000), delta);
  }

  /** `adjust` in seconds: the count added at second `s` (slot `i`), corrected at second `now`. */
  adjustAt(s: number, i: number, now: number, delta: number): boolean {
    if (this.seconds[i] !== s || s <= now - WINDOW_SECONDS) return false;
    const before = this.counts[i];
    this.counts[i] = Math.max(0, before + delta);
    if (this.out[i] === 0) this.sum += this.counts[i] - before;
    return true;
  }

  total(nowMs: number): number {
    return this.totalAt(Math.floor(nowMs / 1000));
  }

  /** `total` at second `now` (`Math.floor(nowMs / 1000)`). */
  totalAt(now: number): number {
    const oldest = now - WINDOW_SECONDS;
    if (now < this.expiredAt) {
      // Asked about an earlier second than last time (the clock went back): slots taken off since may count again.
      let sum = 0;
      for (let i = 0; i < SLOTS; i++) if (this.seconds[i] > oldest) sum += this.counts[i];
      return sum;
    }
    if (now > this.expiredAt) {
      this.expiredAt = now;
      for (let i = 0; i < SLOTS; i++) {
        if (this.out[i] === 0 && this.seconds[i] <= oldest) {
          this.sum -= this.counts[i];
          this.out[i] = 1;
        }
      }
    }
    return this.sum;
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
