import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Pool } from 'undici';
import type { DeploymentConfig } from '../../src/config/gateway-config';
import { Deployment } from '../../src/proxy/router/deployment';
import { ModelGroup } from '../../src/proxy/router/model-group';
import { strategyFor } from '../../src/proxy/router/strategies';
import { WildcardGroups } from '../../src/proxy/router/wildcards';
import { testDeployment } from '../support/deployment';

const pool = new Pool('http://127.0.0.1:9'); // never called
after(() => pool.close());

function dep(id: string, extra: Partial<DeploymentConfig> = {}, latencyTtlMs?: number, trackUsage = false) {
  return testDeployment(pool, id, extra, { allowedFails: 3, cooldownMs: 5000, latencyTtlMs, trackUsage });
}

function picks(g: ModelGroup, n = 100, now = 0, tried: Deployment[] = []): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const id = g.pick(now, tried, (i + 0.5) / n)?.id ?? 'none';
    out[id] = (out[id] ?? 0) + 1;
  }
  return out;
}

describe('routing strategies', () => {
  it('least-busy: the deployment with fewest calls in flight; ties shared', () => {
    const [a, b, c] = [dep('a'), dep('b'), dep('c')];
    const g = new ModelGroup('g', [a, b, c], strategyFor('least-busy', 0));
    a.active = 3;
    b.active = 1;
    c.active = 2;
    assert.deepEqual(picks(g), { b: 100 });
    b.active = 2;
    assert.deepEqual(picks(g), { b: 50, c: 50 });
    assert.equal(g.pick(0, [b, c], 0.1), a, 'untried first, however busy');
  });

  it('usage-based-routing(-v2): the fewest tokens this minute; a deployment at its tpm is skipped', () => {
    const a = dep('a', {}, undefined, true);
    const b = dep('b', { tpm: 1000 }, undefined, true);
    const g = new ModelGroup('g', [a, b], strategyFor('usage-based-routing-v2', 0));
    a.usage.countTokens(0, 800);
    b.usage.countTokens(0, 300);
    assert.deepEqual(picks(g), { b: 100 });
    b.usage.countTokens(0, 700); // b at its tpm
    assert.deepEqual(picks(g), { a: 100 });
    assert.deepEqual(picks(g, 100, 60_000), { a: 50, b: 50 }, 'a new minute starts even');
  });

  it('latency-based-routing: the fastest; unmeasured first; lowest_latency_buffer shares the near-fastest; old samples expire', () => {
    const [a, b, c] = [dep('a', {}, 10_000), dep('b', {}, 10_000), dep('c', {}, 10_000)];
    const g = new ModelGroup('g', [a, b, c], strategyFor('latency-based-routing', 0));
    a.latency!.record(0, 100);
    b.latency!.record(0, 20);
    assert.deepEqual(picks(g, 100, 1), { c: 100 }, 'c was never measured');
    c.latency!.record(1, 300);
    assert.deepEqual(picks(g, 100, 2), { b: 100 });
    const buffered = new ModelGroup('g', [a, b, c], strategyFor('latency-based-routing', 5));
    assert.deepEqual(picks(buffered, 100, 2), { a: 50, b: 50 }, 'a is within 5x of the fastest, c is not');
    a.latency!.record(20_000, 10);
    assert.deepEqual(picks(g, 100, 20_001), { b: 50, c: 50 }, 'b and c have no sample left: unmeasured again');
  });

  it('cost-based-routing: the cheapest tokens; a cooling-down one is skipped', () => {
    const cheap = dep('cheap', { inputCostPerToken: 1e-7, outputCostPerToken: 2e-7 });
    const dear = dep('dear', { inputCostPerToken: 1e-5, outputCostPerToken: 3e-5 });
    const g = new ModelGroup('g', [dear, cheap], strategyFor('cost-based-routing', 0));
    assert.deepEqual(picks(g), { cheap: 100 });
    for (let i = 0; i < 3; i++) cheap.health.fail(0);
    assert.deepEqual(picks(g), { dear: 100 });
  });

  it('simple-shuffle keeps its own allocation-free path', () => {
    assert.equal(strategyFor('simple-shuffle', 0), null);
  });

  it('wildcard groups: the most specific pattern that matches', () => {
    const any = new ModelGroup('*', [dep('x')]);
    const openai = new ModelGroup('openai/*', [dep('y')]);
    const claude = new ModelGroup('claude-*', [dep('z')]);
    const w = new WildcardGroups([any, openai, claude]);
    assert.equal(w.match('openai/gpt-4o'), openai);
    assert.equal(w.match('claude-3-opus'), claude);
    assert.equal(w.match('mistral-large'), any);
    assert.equal(new WildcardGroups([openai]).match('gpt-4o'), undefined);
  });
});
