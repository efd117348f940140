/**
 * Recent answer latencies of one deployment (latency-based-routing): samples older than `ttlMs` no longer count;
 * at most the last MAX_SAMPLES are kept.
 */
const MAX_SAMPLES = 20;

export class LatencyWindow {
  private readonly at: number[] = [];
  private readonly ms: number[] = [];

  constructor(private readonly ttlMs: number) {}

  record(now: number, latencyMs: number): void {
    this.at.push(now);
    this.ms.push(latencyMs);
    if (this.at.length > MAX_SAMPLES) {
      this.at.shift();
      this.ms.shift();
    }
  }

  /** Mean latency of the samples still counting; undefined when there are none. */
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
