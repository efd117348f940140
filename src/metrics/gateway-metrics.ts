import { Inject, Injectable } from '@nestjs/common';
import { ROUTE_GROUP_NAMES, type RouteGroupName } from '../auth/route-groups';
import { RouteMatcher } from '../auth/routes/route-matcher';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { renderMetrics } from './render';

/** Route groups as counted; `unmatched` = no route (404). */
export const ROUTE_LABELS = [...ROUTE_GROUP_NAMES, 'unmatched'] as const;
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
/** How one upstream attempt ended. */
export const OUTCOMES = [
  'success',
  'client_error',
  'rate_limited',
  'auth_error',
  'server_error',
  'timeout',
  'network',
  'invalid',
  'cancelled',
] as const;
export type UpstreamOutcome = (typeof OUTCOMES)[number];
/** Upstream latency histogram bounds, seconds. */
export const LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const;

const OUTCOME_INDEX: Readonly<Record<UpstreamOutcome, number>> = Object.fromEntries(
  OUTCOMES.map((o, i) => [o, i]),
) as Record<UpstreamOutcome, number>;
const UNMATCHED = ROUTE_LABELS.length - 1;
/** Bound on remembered route patterns (the registered routes are a few dozen). */
const MAX_ROUTES = 1024;

/**
 * The gateway's Prometheus counters. Every series is created at start (route groups x status classes, model
 * groups x outcomes, one histogram per model group) in flat typed arrays, so recording is an index computation and
 * an increment: O(1), nothing allocated per request. Text is only built when /metrics is scraped.
 */
@Injectable()
export class GatewayMetrics {
  readonly modelGroups: readonly string[];
  readonly requests = new Float64Array(ROUTE_LABELS.length * STATUS_CLASSES.length);
  readonly upstream: Float64Array;
  /** Per model group: LATENCY_BUCKETS.length + 1 (the +Inf bucket) non-cumulative counts. */
  readonly latencyBuckets: Float64Array;
  readonly latencySum: Float64Array;
  readonly latencyCount: Float64Array;
  inFlight = 0;
  /** More families, appended to each scrape by the modules that own them (LiteLLM's call and budget metrics). */
  readonly collectors: ((out: string[]) => void)[] = [];
  private readonly groupIndex = new Map<string, number>();
  private readonly routeIndex = new Map<string, number>();
  private readonly matchers = ROUTE_GROUP_NAMES.map((g: RouteGroupName) => RouteMatcher.compile([g]).matcher);

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.modelGroups = [...new Set(config.models.map((m) => m.modelName))];
    this.modelGroups.forEach((g, i) => this.groupIndex.set(g, i));
    const n = this.modelGroups.length;
    this.upstream = new Float64Array(n * OUTCOMES.length);
    this.latencyBuckets = new Float64Array(n * (LATENCY_BUCKETS.length + 1));
    this.latencySum = new Float64Array(n);
    this.latencyCount = new Float64Array(n);
  }

  /** A request has come in (`onRequest`). */
  requestStarted(): void {
    this.inFlight++;
  }

  /** Its raw response closed (once per request, answered or aborted). */
  requestClosed(): void {
    this.inFlight--;
  }

  /** A response was sent (`onResponse`). `route`: the registered route pattern, undefined when none matched. */
  requestAnswered(route: string | undefined, status: number): void {
    const cls = Math.min(Math.max(Math.floor(status / 100), 1), 5) - 1;
    this.requests[this.routeGroupOf(route) * STATUS_CLASSES.length + cls]++;
  }

  /** One attempt at a deployment of `group` ended with `outcome` after `ms` milliseconds. */
  upstreamAttempt(group: string, outcome: UpstreamOutcome, ms: number): void {
    const g = this.groupIndex.get(group);
    if (g === undefined) return;
    this.upstream[g * OUTCOMES.length + OUTCOME_INDEX[outcome]]++;
    const seconds = ms / 1000;
    let b = 0;
    while (b < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[b]) b++;
    this.latencyBuckets[g * (LATENCY_BUCKETS.length + 1) + b]++;
    this.latencySum[g] += seconds;
    this.latencyCount[g]++;
  }

  /** The Prometheus text exposition (version 0.0.4). */
  render(): string {
    return renderMetrics(this);
  }

  private routeGroupOf(route: string | undefined): number {
    if (route === undefined) return UNMATCHED;
    let i = this.routeIndex.get(route);
    if (i === undefined) {
      const found = this.matchers.findIndex((m) => m.matches(route));
      i = found === -1 ? UNMATCHED : found;
      if (this.routeIndex.size < MAX_ROUTES) this.routeIndex.set(route, i);
    }
    return i;
  }
}
