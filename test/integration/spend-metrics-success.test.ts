import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatChunks, chatCompletion, errorBody } from '../support/upstream';

/**
 * Which calls LiteLLM's per-call families count, as LiteLLM's Prometheus logger does: `litellm_requests_metric` and
 * the latency histograms on a successful call only (its success callback), `litellm_proxy_total_requests_metric`
 * every call by status and `litellm_proxy_failed_requests_metric` the failed ones; so a dashboard's success rate or
 * latency reads the same numbers it read from LiteLLM.
 */
const MASTER = 'sk-spend-metrics-success-01';

function sum(text: string, name: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('LiteLLM call families count the calls LiteLLM counts', () => {
  let setup: ProxyOnDatabase;

  before(async () => {
    setup = await startProxy({
      database: 'gw_spend_metrics_success',
      apiKey: MASTER,
      yaml: (upstream) => `
model_list:
  - model_name: gm
    litellm_params: { model: openai/gm-up, api_base: ${upstream}, api_key: sk-upstream-success }
general_settings:
  master_key: ${MASTER}
router_settings: { num_retries: 0, allowed_fails: 1000 }
`,
    });
  });
  after(() => setup?.close());

  it('counts a failed call in the proxy totals and failures, not in litellm_requests_metric or latencies', async () => {
    const call = async (model: string) => {
      const res = await fetch(`${setup.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.arrayBuffer();
      return res.status;
    };
    setup.up.respondWith({ json: chatCompletion('ok') });
    assert.equal(await call('gm'), 200);
    assert.equal(await call('gm'), 200);
    setup.up.respondWith({ json: errorBody('slow down', 'rate_limit_error'), status: 429 });
    assert.equal(await call('gm'), 429);
    assert.equal(await call('missing'), 404);
    const text = await (await fetch(`${setup.gw.url}/metrics`)).text();
    assert.equal(sum(text, 'litellm_proxy_total_requests_metric_total'), 4);
    assert.equal(sum(text, 'litellm_proxy_failed_requests_metric_total'), 2);
    assert.equal(sum(text, 'litellm_requests_metric_total'), 2, 'successful calls only');
    assert.equal(sum(text, 'litellm_request_total_latency_metric_count'), 2);
    assert.equal(sum(text, 'litellm_llm_api_latency_metric_count'), 2);
  });
});

describe("LiteLLM's latencies are the answering attempt's", () => {
  let setup: ProxyOnDatabase;

  before(async () => {
    let calls = 0;
    setup = await startProxy({
      database: 'gw_spend_metrics_attempt',
      apiKey: MASTER,
      // The first attempt fails after a while; the retry streams at once.
      respond: () =>
        ++calls === 1
          ? { json: errorBody('busy', 'server_error'), status: 500, delayMs: 600 }
          : { sse: chatChunks(['a', 'b'], { prompt_tokens: 3, completion_tokens: 2 }) },
      yaml: (upstream) => `
model_list:
  - model_name: gm
    litellm_params: { model: openai/gm-up, api_base: ${upstream}, api_key: sk-upstream-attempt }
general_settings:
  master_key: ${MASTER}
router_settings: { num_retries: 1, allowed_fails: 1000, retry_after: 0 }
`,
    });
  });
  after(() => setup?.close());

  it('times the first token from the start of the attempt that answered, not of the call', async () => {
    const res = await fetch(`${setup.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 200);
    await res.text();
    const text = await (await fetch(`${setup.gw.url}/metrics`)).text();
    assert.equal(sum(text, 'litellm_llm_api_time_to_first_token_metric_count'), 1);
    const ttft = sum(text, 'litellm_llm_api_time_to_first_token_metric_sum');
    assert.ok(ttft < 0.5, `time to first token ${ttft}s counts the failed attempt`);
    assert.ok(sum(text, 'litellm_request_total_latency_metric_sum') >= 0.6, 'the whole call is longer');
  });
});
