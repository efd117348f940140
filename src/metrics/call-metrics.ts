import { family, labelText } from './prom-text';

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

/** LiteLLM's latency buckets, seconds (+Inf implied). */
export const LITELLM_BUCKETS = [
  0.005, 0.00625, 0.0125, 0.025, 0.05, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 8.5, 9, 9.5,
  10, 15, 20, 25, 30, 60, 120, 180, 240, 300,
] as const;

/** Label names in storage order; the first six name the caller. */
const LABELS = [
  'end_user',
  'hashed_api_key',
  'api_key_alias',
  'team',
  'team_alias',
  'user',
  'model',
  'requested_model',
] as const;
type Label = (typeof LABELS)[number];
const CALLER_LABELS = 6;
/** Series kept at most; calls of callers beyond it are counted under caller labels "overflow". */
export const MAX_SERIES = 5_000;
const OVERFLOW = 'overflow';

class Histogram {
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

class Series {
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

/**
 * LiteLLM's per-call Prometheus families (same names, labels and buckets, so its Grafana dashboards work), counted
 * from ended calls off the request path. With `showCallers` false (a public /metrics) the labels naming keys,
 * teams and users are left out entirely. Series are bounded: past MAX_SERIES, new callers share one "overflow" series.
 */
export class CallMetrics {
  private readonly series = new Map<string, Series>();
  overflowed = 0;
  private last: { readonly asked: readonly string[]; readonly series: Series } | null = null;

  constructor(readonly showCallers: boolean) {}

  /** The series of these labels, made if new; past MAX_SERIES, the overflow series of their model labels. */
  private seriesOf(asked: readonly string[]): Series {
    let key = asked.join('\u0001');
    let series = this.series.get(key);
    if (series) return series;
    let labels = asked;
    if (this.series.size >= MAX_SERIES) {
      this.overflowed++;
      labels = asked.map((l, i) => (i < CALLER_LABELS ? OVERFLOW : l));
      key = labels.join('\u0001');
      series = this.series.get(key);
      if (series) return series;
    }
    series = new Series(labels);
    this.series.set(key, series);
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
    series.requests++;
    series.spend += s.spend;
    series.input += s.inputTokens;
    series.output += s.outputTokens;
    const status = String(s.statusCode);
    series.byStatus.set(status, (series.byStatus.get(status) ?? 0) + 1);
    if (s.exceptionClass !== null) {
      const f = `${status}\u0001${s.exceptionClass}`;
      series.failures.set(f, (series.failures.get(f) ?? 0) + 1);
    }
    series.total.observe(s.totalLatencySec);
    if (s.apiLatencySec !== null) series.api.observe(s.apiLatencySec);
    if (s.timeToFirstTokenSec !== null) series.ttft.observe(s.timeToFirstTokenSec);
  }

  render(out: string[]): void {
    const caller: readonly Label[] = ['end_user', 'hashed_api_key', 'api_key_alias', 'team', 'team_alias', 'user'];
    this.counter(
      out,
      'litellm_requests_metric_total',
      'Total number of LLM calls to litellm',
      [...caller, 'model'],
      (s) => s.requests,
    );
    this.counter(
      out,
      'litellm_spend_metric_total',
      'Total spend on LLM requests',
      [...caller, 'model'],
      (s) => s.spend,
    );
    const tokens: Label[] = [...caller, 'model', 'requested_model'];
    this.counter(
      out,
      'litellm_total_tokens_metric_total',
      'Total number of input + output tokens from LLM requests',
      tokens,
      (s) => s.input + s.output,
    );
    this.counter(
      out,
      'litellm_input_tokens_metric_total',
      'Total number of input tokens from LLM requests',
      tokens,
      (s) => s.input,
    );
    this.counter(
      out,
      'litellm_output_tokens_metric_total',
      'Total number of output tokens from LLM requests',
      tokens,
      (s) => s.output,
    );
    this.keyed(
      out,
      'litellm_proxy_total_requests_metric_total',
      'Total number of requests made to the proxy server',
      [...caller, 'requested_model'],
      ['status_code'],
      (s) => s.byStatus,
    );
    this.keyed(
      out,
      'litellm_proxy_failed_requests_metric_total',
      'Total number of failed responses from proxy',
      [...caller, 'requested_model'],
      ['exception_status', 'exception_class'],
      (s) => s.failures,
    );
    this.histogram(
      out,
      'litellm_request_total_latency_metric',
      'Total latency (seconds) for a request to LiteLLM',
      [...caller, 'requested_model', 'model'],
      (s) => s.total,
    );
    this.histogram(
      out,
      'litellm_llm_api_latency_metric',
      'Total latency (seconds) for a models LLM API call',
      [...caller, 'requested_model', 'model'],
      (s) => s.api,
    );
    this.histogram(
      out,
      'litellm_llm_api_time_to_first_token_metric',
      'Time to first token for a models LLM API call',
      ['hashed_api_key', 'api_key_alias', 'team', 'team_alias', 'model'],
      (s) => s.ttft,
    );
  }

  /** The names shown and their positions in storage. */
  private pick(names: readonly Label[]): { names: Label[]; idx: number[] } {
    const shown = names.filter((n) => this.showCallers || LABELS.indexOf(n) >= CALLER_LABELS);
    return { names: shown, idx: shown.map((n) => LABELS.indexOf(n)) };
  }

  /** Series summed over the labels a family does not have. */
  private grouped<T>(
    idx: readonly number[],
    make: () => T,
    add: (acc: T, s: Series) => void,
  ): Map<string, { values: string[]; acc: T }> {
    const groups = new Map<string, { values: string[]; acc: T }>();
    for (const s of this.series.values()) {
      const values = idx.map((i) => s.labels[i]);
      const k = values.join('\u0001');
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { values, acc: make() }));
      add(g.acc, s);
    }
    return groups;
  }

  private counter(
    out: string[],
    name: string,
    help: string,
    names: readonly Label[],
    value: (s: Series) => number,
  ): void {
    const { names: shown, idx } = this.pick(names);
    family(out, name, 'counter', help);
    const groups = this.grouped(
      idx,
      () => ({ v: 0 }),
      (acc, s) => (acc.v += value(s)),
    );
    for (const g of groups.values()) out.push(`${name}${labelText(shown, g.values)} ${g.acc.v}`);
  }

  private keyed(
    out: string[],
    name: string,
    help: string,
    names: readonly Label[],
    extra: readonly string[],
    map: (s: Series) => Map<string, number>,
  ): void {
    const { names: shown, idx } = this.pick(names);
    family(out, name, 'counter', help);
    const groups = this.grouped(
      idx,
      () => new Map<string, number>(),
      (acc, s) => {
        for (const [k, v] of map(s)) acc.set(k, (acc.get(k) ?? 0) + v);
      },
    );
    for (const g of groups.values())
      for (const [k, v] of g.acc)
        out.push(`${name}${labelText([...shown, ...extra], [...g.values, ...k.split('\u0001')])} ${v}`);
  }

  private histogram(
    out: string[],
    name: string,
    help: string,
    names: readonly Label[],
    pick: (s: Series) => Histogram,
  ): void {
    const { names: shown, idx } = this.pick(names);
    family(out, name, 'histogram', help);
    const groups = this.grouped(
      idx,
      () => new Histogram(),
      (acc, s) => acc.add(pick(s)),
    );
    for (const g of groups.values()) {
      if (g.acc.n === 0) continue;
      let cumulative = 0;
      for (let b = 0; b <= LITELLM_BUCKETS.length; b++) {
        cumulative += g.acc.counts[b];
        const le = b < LITELLM_BUCKETS.length ? String(LITELLM_BUCKETS[b]) : '+Inf';
        out.push(`${name}_bucket${labelText([...shown, 'le'], [...g.values, le])} ${cumulative}`);
      }
      out.push(
        `${name}_sum${labelText(shown, g.values)} ${g.acc.sum}`,
        `${name}_count${labelText(shown, g.values)} ${g.acc.n}`,
      );
    }
  }
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
