import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { InProcessGateway } from '../support/gateway';
import { startProxy, type ProxySetup } from '../support/proxy-setup';
import { chatChunks, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-metrics-master-key-0001';
const UPSTREAM_KEY = 'sk-metrics-upstream-secret-0002';

/** Parses Prometheus text into `name{labels}` -> value (HELP/TYPE lines checked for every family). */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

describe('GET /metrics: Prometheus text, public, values move with the traffic', () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;
  const scrape = async () => {
    const res = await fetch(`${gw.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    return { text, m: parse(text) };
  };
  const chat = (model: string, extra: object = {}, credential = MASTER, signal?: AbortSignal) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
      signal,
    });
  const value = (m: Map<string, number>, series: string) => {
    assert.ok(m.has(series), `no series ${series}`);
    return m.get(series)!;
  };

  before(async () => {
    setup = await startProxy({
      database: 'gw_metrics',
      apiKey: MASTER,
      yaml: (upstream) => `
model_list:
  - model_name: gpt-m
    litellm_params: { model: openai/up, api_base: "${upstream}/v1", api_key: ${UPSTREAM_KEY} }
general_settings:
  master_key: ${MASTER}
router_settings:
  num_retries: 0
  allowed_fails: 100
`,
    });
    ({ up, gw } = setup);
  });
  after(() => setup?.close());

  it('answers without a credential, every family with HELP and TYPE, and no secret', async () => {
    const { text, m } = await scrape();
    for (const family of [
      'gateway_requests_total',
      'gateway_requests_in_flight',
      'gateway_upstream_requests_total',
      'gateway_upstream_latency_seconds',
      'process_resident_memory_bytes',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'), family);
      assert.match(text, new RegExp(`^# HELP ${family} `, 'm'), family);
    }
    assert.ok(value(m, 'process_resident_memory_bytes') > 0);
    assert.ok(value(m, 'nodejs_heap_size_used_bytes') > 0);
    assert.equal(value(m, 'gateway_upstream_latency_seconds_count{model_group="gpt-m"}'), 0);
    for (const secret of [MASTER, UPSTREAM_KEY, up.url])
      assert.ok(!text.includes(secret), 'a secret or an address in /metrics');
  });

  it('counts requests by route group and status class, and upstream attempts by model group and outcome', async () => {
    const before = (await scrape()).m;
    assert.equal((await chat('gpt-m')).status, 200);
    up.queue({ json: { error: { message: 'nope', type: 'invalid_request_error' } }, status: 400 });
    assert.equal((await chat('gpt-m')).status, 400);
    up.queue({ json: { error: { message: 'down' } }, status: 503 });
    assert.equal((await chat('gpt-m')).status, 502);
    assert.equal((await chat('gpt-m', {}, 'sk-no-such-key-000000000000')).status, 401);
    assert.equal((await fetch(`${gw.url}/no/such/route`)).status, 404);
    assert.equal((await fetch(`${gw.url}/key/list`, { headers: { authorization: `Bearer ${MASTER}` } })).status, 200);
    const after = (await scrape()).m;
    const delta = (series: string) => value(after, series) - value(before, series);
    assert.equal(delta('gateway_requests_total{route_group="openai_routes",status_class="2xx"}'), 1);
    assert.equal(delta('gateway_requests_total{route_group="openai_routes",status_class="4xx"}'), 2);
    assert.equal(delta('gateway_requests_total{route_group="openai_routes",status_class="5xx"}'), 1);
    assert.equal(delta('gateway_requests_total{route_group="unmatched",status_class="4xx"}'), 1);
    assert.equal(delta('gateway_requests_total{route_group="management_routes",status_class="2xx"}'), 1);
    assert.equal(
      delta('gateway_requests_total{route_group="public_routes",status_class="2xx"}'),
      1,
      'the first scrape',
    );
    assert.equal(delta('gateway_upstream_requests_total{model_group="gpt-m",outcome="success"}'), 1);
    assert.equal(delta('gateway_upstream_requests_total{model_group="gpt-m",outcome="client_error"}'), 1);
    assert.equal(delta('gateway_upstream_requests_total{model_group="gpt-m",outcome="server_error"}'), 1);
    assert.equal(delta('gateway_upstream_latency_seconds_count{model_group="gpt-m"}'), 3);
    assert.equal(
      value(after, 'gateway_upstream_latency_seconds_bucket{model_group="gpt-m",le="+Inf"}'),
      value(after, 'gateway_upstream_latency_seconds_count{model_group="gpt-m"}'),
    );
    assert.ok(delta('gateway_upstream_latency_seconds_sum{model_group="gpt-m"}') > 0);
  });

  it('holds a request in the in-flight gauge while it runs, and releases it when the client hangs up on a stream', async () => {
    const idle = value((await scrape()).m, 'gateway_requests_in_flight');
    assert.equal(idle, 1, 'only the scrape itself');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const chunks = chatChunks(['one', ' two']);
    up.queue({ sse: [chunks[0], () => gate, ...chunks.slice(1)] });
    const abort = new AbortController();
    const res = await chat('gpt-m', { stream: true }, MASTER, abort.signal);
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await reader.read(); // the first chunk is through: the call is in flight
    assert.equal(value((await scrape()).m, 'gateway_requests_in_flight'), 2);
    abort.abort();
    await reader.cancel().catch(() => undefined);
    release();
    const deadline = Date.now() + 5_000;
    while (value((await scrape()).m, 'gateway_requests_in_flight') !== 1) {
      assert.ok(Date.now() < deadline, 'the abandoned stream is still counted in flight');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
