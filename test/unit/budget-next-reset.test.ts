import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstResetAt, nextResetMs } from '../../src/keys/budget/budget-period';
import { PeriodSpend } from '../../src/keys/budget/period-spend';

/** [previous end, budget_duration, now, next end as the database's llmgw_next_reset answers it]. */
const CASES: [string, string, string, string][] = [
  ['2026-01-31T10:00:00.123Z', '1mo', '2026-02-15T00:00:00Z', '2026-02-28T10:00:00.123Z'],
  ['2026-01-31T10:00:00.123Z', '1mo', '2026-03-30T00:00:00Z', '2026-03-31T10:00:00.123Z'],
  ['2024-02-29T00:00:00Z', '1y', '2026-03-01T00:00:00Z', '2027-02-28T00:00:00.000Z'],
  ['2026-11-30T05:00:00Z', '2mo', '2027-06-01T00:00:00Z', '2027-07-30T05:00:00.000Z'],
  ['2026-12-07T20:00:00Z', '30s', '2026-12-07T20:05:01Z', '2026-12-07T20:05:30.000Z'],
  ['2026-12-07T20:00:00Z', '3s', '2026-12-07T20:00:03Z', '2026-12-07T20:00:06.000Z'],
  ['2026-12-07T20:00:00Z', '2w', '2027-01-30T00:00:00Z', '2027-02-01T20:00:00.000Z'],
];

describe('the next budget period end, as the database computes it', () => {
  it('matches llmgw_next_reset: whole durations after the previous end, months in UTC with the day kept', () => {
    for (const [end, duration, now, next] of CASES)
      assert.equal(
        new Date(nextResetMs(Date.parse(end), duration, Date.parse(now))!).toISOString(),
        new Date(next).toISOString(),
        `${end} + ${duration} after ${now}`,
      );
    assert.equal(nextResetMs(0, 'soon', 1), null);
  });

  it('the first period ends where the database would put the end after one starting now', () => {
    for (const [, duration, now] of CASES) {
      const nowMs = Date.parse(now);
      assert.equal(firstResetAt(duration, new Date(nowMs))!.getTime(), nextResetMs(nowMs, duration, nowMs), duration);
    }
    const janEnd = new Date('2026-01-31T10:00:00Z');
    assert.equal(firstResetAt('1mo', janEnd)!.toISOString(), '2026-02-28T10:00:00.000Z');
    assert.equal(nextResetMs(janEnd.getTime(), '1mo', janEnd.getTime()), Date.parse('2026-02-28T10:00:00Z'));
  });

  it('a period over names the next one before the database tells it (just after its end without a duration)', () => {
    const end = Date.parse('2026-12-07T20:00:00Z');
    assert.equal(new PeriodSpend(1, end, '3s').periodAt(end + 4_000), end + 6_000);
    assert.equal(new PeriodSpend(1, end).periodAt(end + 4_000), end + 1);
    assert.equal(new PeriodSpend(1, end, '3s').periodAt(end - 1), end);
  });
});
