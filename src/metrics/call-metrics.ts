import { renderCallFamilies } from './call-families';
import { CALLER_LABELS, Series } from './call-series';
import { FamilyWriter } from './family-writer';

/** One ended model call, as the call metrics count it. Caller fields are '' when none (or not shown). */
export interface CallSample {
  readonly endUser: string;
  readonly hashedApiKey: string;
  readonly apiKeyAlias: string;
  readonly team: string;
  readonly teamAlias: string;
  readonly user: string;
  /** The deployment's model (LiteLLM's `model` label); the requested group otherwise. */
  readonly model: string;
  readonly requestedModel: string;
  readonly statusCode: number;
  /** Set when the call failed: LiteLLM's `exception_class` (the error code here). */
  readonly exceptionClass: string | null;
  readonly spend: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalLatencySec: number;
  readonly apiLatencySec: number | null;
  readonly timeToFirstTokenSec: number | null;
}

/** Series kept at most; calls of callers beyond it are counted under caller labels "overflow". */
export const MAX_SERIES = 5_000;
/**
 * Overflow series (one per model labels) kept at most: model labels are few (the configured groups), except where a
 * wildcard group passes on any name a caller sends; past this, every label is "overflow".
 */
const MAX_OVERFLOW_SERIES = MAX_SERIES / 10;
const OVERFLOW = 'overflow';

/**
 * LiteLLM's per-call Prometheus families (same names, labels and buckets, so its Grafana dashboards work), counted
 * from ended calls off the request path. With `showCallers` false (a public /metrics) the labels naming keys,
 * teams and users are left out entirely. Series are bounded: past MAX_SERIES, new callers share one "overflow" series.
 */
export class CallMetrics {
  private readonly series = new Map<string, Series>();
  /** Overflow series by their model labels (overflowOf). */
  private readonly overflows = new Map<string, Series>();
  overflowed = 0;
  private last: { readonly asked: readonly string[]; readonly series: Series } | null = null;

  constructor(readonly showCallers: boolean) {}

  /** The series of these labels, made if new; past MAX_SERIES, the overflow series of their model labels. */
  private seriesOf(asked: readonly string[]): Series {
    const key = asked.join('\u0001');
    let series = this.series.get(key);
    if (series) return series;
    if (this.series.size >= MAX_SERIES) {
      this.overflowed++;
      return this.overflowOf(asked);
    }
    series = new Series(asked);
    this.series.set(key, series);
    return series;
  }

  /**
   * The overflow series of these labels' model labels (the last two), found by those alone: with calls spread over
   * many keys past the bound, nearly every call is a caller not seen before.
   */
  private overflowOf(asked: readonly string[]): Series {
    const models = `${asked[CALLER_LABELS]}\u0001${asked[CALLER_LABELS + 1]}`;
    let series = this.overflows.get(models);
    if (series) return series;
    const bounded = this.overflows.size < MAX_OVERFLOW_SERIES;
    const labels = asked.map((l, i) => (i < CALLER_LABELS || !bounded ? OVERFLOW : l));
    const key = labels.join('\u0001');
    series = this.series.get(key);
    if (!series) this.series.set(key, (series = new Series(labels)));
    if (bounded) this.overflows.set(models, series);
    return series;
  }

  get seriesCount(): number {
    return this.series.size;
  }

  observe(s: CallSample): void {
    const labels = this.showCallers
      ? [s.endUser, s.hashedApiKey, s.apiKeyAlias, s.team, s.teamAlias, s.user, s.model, s.requestedModel]
      : ['', '', '', '', '', '', s.model, s.requestedModel];
    // Calls in a row mostly share their labels (same key, same group): the last series is found without a join.
    const last = this.last;
    let series: Series;
    if (last !== null && sameLabels(last.asked, labels)) {
      series = last.series;
      if (series.labels[0] === OVERFLOW && labels[0] !== OVERFLOW) this.overflowed++;
    } else {
      series = this.seriesOf(labels);
      this.last = { asked: labels, series };
    }
    // LiteLLM counts requests and latencies in its success callback only; failures have families of their own.
    const ok = s.exceptionClass === null;
    if (ok) series.requests++;
    series.spend += s.spend;
    series.input += s.inputTokens;
    series.output += s.outputTokens;
    const status = String(s.statusCode);
    series.byStatus.set(status, (series.byStatus.get(status) ?? 0) + 1);
    if (s.exceptionClass !== null) {
      const f = `${status}\u0001${s.exceptionClass}`;
      series.failures.set(f, (series.failures.get(f) ?? 0) + 1);
    }
    if (!ok) return;
    series.total.observe(s.totalLatencySec);
    if (s.apiLatencySec !== null) series.api.observe(s.apiLatencySec);
    if (s.timeToFirstTokenSec !== null) series.ttft.observe(s.timeToFirstTokenSec);
  }

  render(out: string[]): void {
    renderCallFamilies(new FamilyWriter(out, this.series, this.showCallers));
  }
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
