/** LiteLLM's per-call series: the labels they are kept under and what each counts. */

/** LiteLLM's latency buckets, seconds (+Inf implied). */
export const LITELLM_BUCKETS = [
  0.005, 0.00625, 0.0125, 0.025, 0.05, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5, 9, 9.5,
  10, 15, 20, 25, 30, 60, 120, 180, 240, 300,
] as const;

/** Label names in storage order; the first six name the caller. */
export const LABELS = [
  'end_user',
  'hashed_api_key',
  'api_key_alias',
  'team',
  'team_alias',
  'user',
  'model',
  'requested_model',
] as const;
export type Label = (typeof LABELS)[number];
export const CALLER_LABELS = 6;

/** Observations in LiteLLM's buckets. */
export class Histogram {
  readonly counts = new Float64Array(LITELLM_BUCKETS.length + 1);
  sum = 0;
  n = 0;

  observe(v: number): void {
    let b = 0;
    while (b < LITELLM_BUCKETS.length && v > LITELLM_BUCKETS[b]) b++;
    this.counts[b]++;
    this.sum += v;
    this.n++;
  }

  add(h: Histogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += h.counts[i];
    this.sum += h.sum;
    this.n += h.n;
  }
}

/** One label set's counts. */
export class Series {
  requests = 0;
  spend = 0;
  input = 0;
  output = 0;
  readonly byStatus = new Map<string, number>();
  /** `exception_status\u0001exception_class` -> failed calls. */
  readonly failures = new Map<string, number>();
  readonly total = new Histogram();
  readonly api = new Histogram();
  readonly ttft = new Histogram();

  constructor(readonly labels: readonly string[]) {}
}
