import type { GatewayMetrics } from './gateway-metrics';
import { LATENCY_BUCKETS, OUTCOMES, ROUTE_LABELS, STATUS_CLASSES } from './gateway-metrics';
import { esc } from './prom-text';

/** Prometheus text format 0.0.4: HELP and TYPE lines, then one line per series. Label values are escaped. */
export function renderMetrics(m: GatewayMetrics): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string) =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

  family(
    'gateway_requests_total',
    'counter',
    'HTTP requests answered, by route group (unmatched = no route) and status class.',
  );
  ROUTE_LABELS.forEach((route, r) =>
    STATUS_CLASSES.forEach((cls, c) =>
      out.push(
        `gateway_requests_total{route_group="${route}",status_class="${cls}"} ${m.requests[r * STATUS_CLASSES.length + c]}`,
      ),
    ),
  );

  family('gateway_requests_in_flight', 'gauge', 'HTTP requests received and not yet finished (answered or abandoned).');
  out.push(`gateway_requests_in_flight ${m.inFlight}`);

  family(
    'gateway_upstream_requests_total',
    'counter',
    'Attempts at upstream deployments, by model group and outcome (each retry and fallback counts).',
  );
  m.modelGroups.forEach((group, g) =>
    OUTCOMES.forEach((o, i) =>
      out.push(
        `gateway_upstream_requests_total{model_group="${esc(group)}",outcome="${o}"} ${m.upstream[g * OUTCOMES.length + i]}`,
      ),
    ),
  );

  family(
    'gateway_upstream_latency_seconds',
    'histogram',
    'Time of one upstream attempt: until the whole answer (non-streaming) or until the stream started, by model group.',
  );
  const width = LATENCY_BUCKETS.length + 1;
  m.modelGroups.forEach((group, g) => {
    const label = `model_group="${esc(group)}"`;
    let cumulative = 0;
    for (let b = 0; b < width; b++) {
      cumulative += m.latencyBuckets[g * width + b];
      const le = b < LATENCY_BUCKETS.length ? String(LATENCY_BUCKETS[b]) : '+Inf';
      out.push(`gateway_upstream_latency_seconds_bucket{${label},le="${le}"} ${cumulative}`);
    }
    out.push(
      `gateway_upstream_latency_seconds_sum{${label}} ${m.latencySum[g]}`,
      `gateway_upstream_latency_seconds_count{${label}} ${m.latencyCount[g]}`,
    );
  });

  const mem = process.memoryUsage();
  family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.');
  out.push(`process_resident_memory_bytes ${mem.rss}`);
  family('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap in use, bytes.');
  out.push(`nodejs_heap_size_used_bytes ${mem.heapUsed}`);
  family('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap allocated, bytes.');
  out.push(`nodejs_heap_size_total_bytes ${mem.heapTotal}`);
  family(
    'nodejs_external_memory_bytes',
    'gauge',
    'Memory of C++ objects bound to JavaScript (buffers included), bytes.',
  );
  out.push(`nodejs_external_memory_bytes ${mem.external}`);
  family('process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch, seconds.');
  out.push(`process_start_time_seconds ${Math.round(Date.now() / 1000 - process.uptime())}`);
  for (const collect of m.collectors) collect(out);
  return `${out.join('\n')}\n`;
}
