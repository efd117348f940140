import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallMetrics, MAX_SERIES, type CallSample } from '../../src/metrics/call-metrics';

const sample = (key: string, model = 'gpt'): CallSample => ({
  endUser: '',
  hashedApiKey: key,
  apiKeyAlias: '',
  team: '',
  teamAlias: '',
  user: '',
  model,
  requestedModel: model,
  statusCode: 200,
  exceptionClass: null,
  spend: 0.5,
  inputTokens: 1,
  outputTokens: 2,
  totalLatencySec: 0.01,
  apiLatencySec: 0.005,
  timeToFirstTokenSec: null,
});

const requests = (m: CallMetrics) => {
  const out: string[] = [];
  m.render(out);
  return out.filter((l) => l.startsWith('litellm_requests_metric_total{'));
};

describe('call metrics: one series per label set, bounded', () => {
  it('counts calls with the same labels in one series, in a row or interleaved', () => {
    const m = new CallMetrics(true);
    for (const k of ['a', 'a', 'b', 'a', 'b', 'b']) m.observe(sample(k));
    assert.equal(m.seriesCount, 2);
    const lines = requests(m);
    assert.ok(lines.some((l) => l.includes('hashed_api_key="a"') && l.endsWith(' 3')));
    assert.ok(lines.some((l) => l.includes('hashed_api_key="b"') && l.endsWith(' 3')));
  });

  it('past the bound, counts every call of a new caller under "overflow", repeated calls included', () => {
    const m = new CallMetrics(true);
    for (let i = 0; i < MAX_SERIES; i++) m.observe(sample(`k${i}`));
    m.observe(sample('late'));
    m.observe(sample('late'));
    m.observe(sample('later'));
    m.observe(sample('k0'));
    assert.equal(m.seriesCount, MAX_SERIES + 1);
    assert.equal(m.overflowed, 3);
    const overflow = requests(m).find((l) => l.includes('hashed_api_key="overflow"'));
    assert.ok(overflow?.endsWith(' 3'), overflow);
    assert.ok(requests(m).some((l) => l.includes('hashed_api_key="k0"') && l.endsWith(' 2')));
  });

  it('names no caller on a public endpoint: every key shares the model series', () => {
    const m = new CallMetrics(false);
    for (const k of ['a', 'b', 'c']) m.observe(sample(k));
    assert.equal(m.seriesCount, 1);
  });

  it('stays bounded when the model labels themselves are new each call (a wildcard group passes any name on)', () => {
    for (const showCallers of [false, true]) {
      const m = new CallMetrics(showCallers);
      for (let i = 0; i < 3 * MAX_SERIES; i++) m.observe({ ...sample(`k${i}`), requestedModel: `wild/${i}` });
      assert.ok(m.seriesCount <= MAX_SERIES + MAX_SERIES / 10 + 1, `${m.seriesCount} series`);
      const counted = requests(m).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      assert.equal(counted, 3 * MAX_SERIES, 'every call still counted');
      const all: string[] = [];
      m.render(all);
      assert.ok(
        all.some((l) => l.includes('requested_model="overflow"')),
        'the names past the bound are "overflow"',
      );
    }
  });
});
