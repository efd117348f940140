import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Pool } from 'undici';
import type { DeploymentConfig } from '../../src/config/gateway-config';
import { Deployment } from '../../src/proxy/router/deployment';
import { DeploymentHealth } from '../../src/proxy/router/deployment-health';
import { ModelGroup, shuffleWeights } from '../../src/proxy/router/model-group';
import { UsageWindow } from '../../src/proxy/router/usage-window';
import { testDeployment } from '../support/deployment';

const pool = new Pool('http://127.0.0.1:9'); // never called: picking does not touch the network
after(() => pool.close());

function deployment(
  id: string,
  extra: Partial<DeploymentConfig> = {},
  router = { allowedFails: 3, cooldownMs: 5_000 },
): Deployment {
  return testDeployment(pool, id, extra, router);
}

/** Counts picks over an even sweep of random values in [0, 1): exact shares, no randomness in the test. */
function shares(group: ModelGroup, n = 1000, now = 0): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const d = group.pick(now, [], (i + 0.5) / n);
    const k = d?.id ?? 'none';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('router: simple-shuffle weights', () => {
  it('weighs by weight, else rpm, else tpm, else evenly (missing fields weigh 0, as in LiteLLM)', () => {
    assert.deepEqual(shuffleWeights([{ weight: 3, rpm: 1 }, { rpm: 100 }]), [3, 0]);
    assert.deepEqual(shuffleWeights([{ rpm: 10, tpm: 1 }, { rpm: 30 }]), [10, 30]);
    assert.deepEqual(shuffleWeights([{ tpm: 5 }, {}]), [5, 0]);
    assert.deepEqual(shuffleWeights([{}, {}, {}]), [1, 1, 1]);
  });

  it('picks in proportion to the weights', () => {
    const g = new ModelGroup('g', [deployment('a', { weight: 1 }), deployment('b', { weight: 3 })]);
    assert.deepEqual(shares(g), { a: 250, b: 750 });
    const byRpm = new ModelGroup('g', [
      deployment('a', { rpm: 100 }),
      deployment('b', { rpm: 300 }),
      deployment('c', { rpm: 600 }),
    ]);
    assert.deepEqual(shares(byRpm), { a: 100, b: 300, c: 600 });
    const even = new ModelGroup('g', [deployment('a'), deployment('b')]);
    assert.deepEqual(shares(even), { a: 500, b: 500 });
  });

  it('prefers deployments not yet tried in this call, and retries a tried one only when no other is left', () => {
    const a = deployment('a', { weight: 99 });
    const b = deployment('b', { weight: 1 });
    const g = new ModelGroup('g', [a, b]);
    for (const r of [0, 0.5, 0.99]) assert.equal(g.pick(0, [a], r), b);
    assert.equal(g.pick(0, [a, b], 0.5), a);
    const single = deployment('s');
    assert.equal(new ModelGroup('g', [single]).pick(0, [single], 0.3), single);
  });

  it('falls back to an even choice when every usable deployment weighs 0', () => {
    const a = deployment('a', { weight: 5 }, { allowedFails: 1, cooldownMs: 1_000 });
    const g = new ModelGroup('g', [a, deployment('b'), deployment('c')]);
    a.health.fail(0);
    assert.deepEqual(shares(g, 1000, 10), { b: 500, c: 500 });
  });

  it('skips cooling-down deployments and those at their rpm; none usable -> undefined', () => {
    const a = deployment('a', { rpm: 2 }, { allowedFails: 1, cooldownMs: 1_000 });
    const b = deployment('b', { rpm: 1 }, { allowedFails: 1, cooldownMs: 1_000 });
    const g = new ModelGroup('g', [a, b]);
    b.usage.countRequest(0);
    assert.deepEqual(shares(g, 100, 0), { a: 100 });
    a.health.fail(0);
    assert.equal(g.pick(500, [], 0.5), undefined);
    assert.equal(g.pick(1_000, [], 0.5), a, 'cooldown over');
    assert.equal(g.pick(60_000, [], 0.9), b, 'new minute: b has room again');
  });
});

describe('router: cooldown', () => {
  it('cools down after allowed_fails failures within a minute, for cooldown_time', () => {
    const h = new DeploymentHealth(3, 5_000);
    assert.equal(h.fail(1_000), false);
    assert.equal(h.fail(2_000), false);
    assert.equal(h.available(2_500), true);
    assert.equal(h.fail(3_000), true);
    assert.equal(h.available(3_000), false);
    assert.equal(h.cooldownLeftMs(4_000), 4_000);
    assert.equal(h.available(7_999), false);
    assert.equal(h.available(8_000), true);
    assert.equal(h.recentFailures(8_000), 0, 'the count starts again after a cooldown');
  });

  it('forgets failures older than a minute', () => {
    const h = new DeploymentHealth(2, 5_000);
    assert.equal(h.fail(0), false);
    assert.equal(h.fail(60_001), false, 'the first failure is out of the window');
    assert.equal(h.recentFailures(60_001), 1);
    assert.equal(h.fail(60_002), true);
  });

  it('never cools down with cooldown_time 0', () => {
    const h = new DeploymentHealth(1, 0);
    for (let t = 0; t < 10; t++) assert.equal(h.fail(t), false);
    assert.equal(h.available(10), true);
  });
});

describe('router: per-deployment rpm/tpm window', () => {
  it('counts requests and tokens per clock minute', () => {
    const w = new UsageWindow(2, 100);
    assert.equal(w.hasRoom(0), true);
    w.countRequest(0);
    w.countRequest(10);
    assert.equal(w.hasRoom(20), false, 'rpm reached');
    assert.equal(w.resetInMs(20), 59_980);
    assert.equal(w.hasRoom(60_000), true, 'next minute');
    w.countTokens(60_000, 100);
    assert.equal(w.hasRoom(60_001), false, 'tpm reached');
    assert.equal(new UsageWindow().hasRoom(0), true);
  });
});
