/**
 * Recent answer latencies of one deployment (latency-based-routing): samples older than `ttlMs` no longer count;
 * at most the last MAX_SAMPLES are kept.
 */
const MAX_SAMPLES = 20;

export class LatencyWindow {
  private readonly at: number[] = [];
  private readonly ms: number[] = [];
  /** The other instances' recent averages (sum and count, from the Redis sync; 0 without Redis). */
  private othersSum = 0;
  private othersCount = 0;

  constructor(private readonly ttlMs: number) {}

  record(now: number, latencyMs: number): void {
    this.at.push(now);
    this.ms.push(latencyMs);
    if (this.at.length > MAX_SAMPLES) {
      this.at.shift();
      this.ms.shift();
    }
  }

  /** The other instances' averages, from the last sync. */
  setOthers(sum: number, count: number): void {
    this.othersSum = sum;
    this.othersCount = count;
  }

  /** This instance's average and the other instances' averages, each weighing the same; undefined: none. */
  clusterAverage(now: number): number | undefined {
    const own = this.average(now);
    if (this.othersCount === 0) return own;
    return own === undefined ? this.othersSum / this.othersCount : (own + this.othersSum) / (this.othersCount + 1);
  }

  /** Mean latency of this instance's samples still counting; undefined when there are none. */
  average(now: number): number | undefined {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < this.at.length; i++) {
      if (this.at[i] > now - this.ttlMs) {
        sum += this.ms[i];
        n++;
      }
    }
    return n === 0 ? undefined : sum / n;
  }
}
