import assert from 'node:assert/strict';
import { after, describe, it, mock } from 'node:test';
import fc from 'fast-check';
import { GatewayError } from '../../src/common/errors/gateway-error';
import type { LimitScope } from '../../src/keys/limits/limiter';
import { MemoryLimiter } from '../../src/keys/limits/memory-limiter';
import { MinuteWindow } from '../../src/keys/limits/minute-window';
import { decodeEvent, encodeEvents, MAX_PAYLOAD_BYTES, sentBy } from '../../src/keys/invalidation/key-events';

const scope = (over: Partial<LimitScope>): LimitScope => ({
  id: 'k:x',
  label: 'key',
  rpm: null,
  tpm: null,
  parallel: null,
  ...over,
});

function refusal(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.status, 429);
    return err;
  }
  assert.fail('expected a 429');
}

describe('keys: sliding minute window', () => {
  it('counts what happened in the last 60 seconds, whatever the minute boundaries', () => {
    const w = new MinuteWindow();
    const t0 = 1_700_000_059_500; // half a second before a minute boundary
    for (let i = 0; i < 5; i++) w.add(t0 + i * 200, 1);
    assert.equal(w.total(t0 + 1_000), 5);
    assert.equal(w.total(t0 + 60_000), 5, 'still counted a full minute after the first request');
    assert.equal(w.total(t0 + 61_500), 0);
    assert.equal(w.msUntilBelow(t0 + 1_000, 5), 59_500, 'the oldest slot leaves the window 60.5 s after t0');
    assert.equal(w.msUntilBelow(t0 + 1_000, 6), 0);
  });

  it('agrees with a naive list of events (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 1, max: 50 })), { maxLength: 80 }),
        fc.integer({ min: 1, max: 500 }),
        (steps, limit) => {
          const w = new MinuteWindow();
          const events: [number, number][] = [];
          let now = 1_700_000_000_000;
          for (const [dt, n] of steps) {
            now += dt;
            w.add(now, n);
            events.push([Math.floor(now / 1000), n]);
            const live = events.filter(([s]) => s > Math.floor(now / 1000) - 61);
            const total = live.reduce((a, [, c]) => a + c, 0);
            assert.equal(w.total(now), total);
            const wait = w.msUntilBelow(now, limit);
            assert.equal(wait === 0, total < limit);
            if (wait > 0) {
              assert.ok(w.total(now + wait) < limit, 'below the limit once the wait is over');
              assert.ok(w.total(now + wait - 1000) >= limit || wait < 1000, 'and not a second earlier');
            }
          }
        },
      ),
    );
  });
});

describe('keys: sliding minute window, its running total', () => {
  /** The same ring of one-second slots with a pass over every slot on each question: what the total must equal. */
  class EverySlot {
    readonly counts = new Float64Array(62);
    readonly seconds = new Float64Array(62).fill(-Infinity);
    add(ms: number, n: number): void {
      const s = Math.floor(ms / 1000);
      if (this.seconds[s % 62] !== s) [this.seconds[s % 62], this.counts[s % 62]] = [s, 0];
      this.counts[s % 62] += n;
    }
    adjust(atMs: number, nowMs: number, delta: number): void {
      const s = Math.floor(atMs / 1000);
      if (this.seconds[s % 62] === s && s > Math.floor(nowMs / 1000) - 61)
        this.counts[s % 62] = Math.max(0, this.counts[s % 62] + delta);
    }
    total(ms: number): number {
      const oldest = Math.floor(ms / 1000) - 61;
      let sum = 0;
      for (let i = 0; i < 62; i++) if (this.seconds[i] > oldest) sum += this.counts[i];
      return sum;
    }
  }

  it('leaves out a count added at a second that a total asked about a later moment had already seen leave', () => {
    const w = new MinuteWindow();
    const at = 1_700_000_000_000;
    assert.equal(w.total(at + 62_000), 0);
    w.add(at, 1);
    w.add(at + 3_164, 1);
    // At +62 s the first count (at +0 s) has left the window, the second not yet.
    assert.equal(w.total(at + 62_000), 1);
  });

  it('equals a pass over every slot, with settled reservations and questions about other moments (property)', () => {
    const op = fc.oneof(
      fc.record({
        k: fc.constant('add' as const),
        dt: fc.integer({ min: 0, max: 4_000 }),
        n: fc.integer({ min: 1, max: 99 }),
      }),
      fc.record({
        k: fc.constant('adjust' as const),
        back: fc.integer({ min: 0, max: 70_000 }),
        d: fc.integer({ min: -150, max: 150 }),
      }),
      fc.record({ k: fc.constant('ask' as const), off: fc.integer({ min: -65_000, max: 65_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
        const w = new MinuteWindow();
        const ref = new EverySlot();
        let now = 1_700_000_000_000;
        for (const o of ops) {
          if (o.k === 'add') {
            now += o.dt;
            w.add(now, o.n);
            ref.add(now, o.n);
          } else if (o.k === 'adjust') {
            const at = now - o.back;
            // Only a slot still holding its own second is settled (adjust answers false otherwise): the same here.
            const held = w.adjust(at, now, o.d);
            if (held) ref.adjust(at, now, o.d);
          } else assert.equal(w.total(now + o.off), ref.total(now + o.off), `at ${o.off}`);
          assert.equal(w.total(now), ref.total(now));
        }
      }),
    );
  });
});

describe('keys: in-process limiter', () => {
  let now = 1_700_000_000_000;
  const limiter = new MemoryLimiter(() => now);
  after(() => limiter.close());

  it('rpm 5: the 6th request within a minute is refused with retry-after, and admitted once the window moves', () => {
    const s = scope({ id: 'k:rpm', rpm: 5 });
    for (let i = 0; i < 5; i++) {
      limiter.acquire([s]).release(0);
      now += 1_000;
    }
    const e = refusal(() => limiter.acquire([s]));
    assert.equal(e.headers?.['retry-after'], '56');
    assert.match(e.message, /5 requests per minute/);
    now += 55_000;
    refusal(() => limiter.acquire([s]));
    now += 1_000;
    limiter.acquire([s]).release(0);
  });

  it('tpm: refused once the tokens of the last minute reach the limit', () => {
    const s = scope({ id: 'k:tpm', tpm: 100 });
    limiter.acquire([s]).release(60);
    limiter.acquire([s]).release(40);
    assert.match(refusal(() => limiter.acquire([s])).message, /100 tokens per minute/);
    now += 62_000;
    limiter.acquire([s]).release(1);
  });

  it('parallel: at most N in flight; a release frees a slot; release twice counts once', () => {
    const s = scope({ id: 'k:par', parallel: 2 });
    const a = limiter.acquire([s]);
    const b = limiter.acquire([s]);
    const e = refusal(() => limiter.acquire([s]));
    assert.equal(e.code, 'parallel_request_limit_exceeded');
    a.release(0);
    a.release(0);
    const c = limiter.acquire([s]);
    refusal(() => limiter.acquire([s]));
    b.release(0);
    c.release(0);
  });

  it('several scopes: a refusal by one records nothing in the others', () => {
    const key = scope({ id: 'k:both', rpm: 10 });
    const team = scope({ id: 't:both', label: 'team', parallel: 1 });
    const held = limiter.acquire([key, team]);
    assert.match(refusal(() => limiter.acquire([key, team])).message, /for this team/);
    held.release(0);
    for (let i = 0; i < 9; i++) limiter.acquire([key]).release(0); // 1 + 9 = 10: the refused call was not counted
    refusal(() => limiter.acquire([key]));
  });

  it("counts a call at the instant its caller read, when given, rather than reading the limiter's clock", () => {
    const s = scope({ id: 'k:instant', rpm: 1 });
    limiter.acquire([s], 0, 0, now - 62_000).release(0); // a minute ago: out of the window by the clock's now
    limiter.acquire([s]).release(0);
    refusal(() => limiter.acquire([s], 0, 0, now + 1_000));
  });

  it("an owner's slot keeps the scope's state between calls; once swept, the scope is looked up again", () => {
    mock.timers.enable({ apis: ['setInterval'] });
    let t = 1_700_000_000_000;
    const own = new MemoryLimiter(() => t);
    try {
      const slot = { limitState: undefined };
      const owned = scope({ id: 't:slot', label: 'team', parallel: 1, slot });
      own.acquire([owned]).release(0);
      assert.notEqual(slot.limitState, undefined);
      t += 62_000;
      mock.timers.tick(60_000); // idle a minute: its state is swept
      // The scope's one call, held through the state made after the sweep: the slot's old state must not admit another.
      const other = own.acquire([scope({ id: 't:slot', label: 'team', parallel: 1 })]);
      assert.equal(refusal(() => own.acquire([owned])).code, 'parallel_request_limit_exceeded');
      other.release(0);
      own.acquire([owned]).release(0);
    } finally {
      own.close();
      mock.timers.reset();
    }
  });
});

describe('keys: broadcast messages', () => {
  it('splits big events under the NOTIFY payload limit and decodes them back', () => {
    const tokens = Array.from({ length: 500 }, (_, i) => i.toString(16).padStart(64, '0'));
    const parts = encodeEvents({ o: 'me', t: 'changed', k: tokens });
    assert.ok(parts.length > 1);
    for (const p of parts) assert.ok(Buffer.byteLength(p) <= MAX_PAYLOAD_BYTES);
    assert.deepEqual(
      parts.flatMap((p) => (decodeEvent(p) as { k: readonly string[] }).k),
      tokens,
    );
    const spend = encodeEvents({
      o: 'me',
      t: 'spend',
      k: tokens.map((t, i) => [t, i * 0.123456789] as const),
      p: [['team', 1]],
    });
    assert.equal(spend.flatMap((p) => (decodeEvent(p) as { k: readonly unknown[] }).k).length, 500);
    // The origin leads every payload, whole or split, wherever the event held it: a receiver drops its own unparsed.
    const objects = encodeEvents({ t: 'objects', c: 'team', i: tokens, o: 'me' });
    const small = encodeEvents({ t: 'spend', k: [], p: [['team', 1]], o: 'me' });
    for (const p of [...parts, ...spend, ...objects, ...small]) {
      assert.ok(sentBy('me', p), p.slice(0, 40));
      assert.ok(!sentBy('m', p) && !sentBy('mee', p), p.slice(0, 40));
    }
    assert.ok(!sentBy('me', JSON.stringify({ t: 'spend', k: [], p: [], x: '{"o":"me",' })));
    assert.equal(decodeEvent('{nope'), null);
    assert.equal(decodeEvent(JSON.stringify({ o: 'x', t: 'changed', k: [1] })), null);
    for (const bad of [[['t', '5']], [['t', null]], [['t', -1]], [['t']], ['t'], [[1, 2]]]) {
      assert.equal(
        decodeEvent(JSON.stringify({ o: 'x', t: 'spend', k: bad, p: [] })),
        null,
        `spend ${JSON.stringify(bad)}`,
      );
      assert.equal(
        decodeEvent(JSON.stringify({ o: 'x', t: 'spend', k: [], p: bad })),
        null,
        `team spend ${JSON.stringify(bad)}`,
      );
    }
    assert.equal(decodeEvent('{"o":"x","t":"spend","k":[["t",1e999]],"p":[]}'), null, 'Infinity');
    // A regenerate's rename travels with the change, and only between tokens the message names.
    const renamed = encodeEvents({ o: 'me', t: 'changed', k: ['old', 'new'], n: ['new'], r: [['old', 'new']] });
    assert.deepEqual(decodeEvent(renamed[0]), {
      o: 'me',
      t: 'changed',
      k: ['old', 'new'],
      n: ['new'],
      r: [['old', 'new']],
    });
    for (const bad of [[['old', 'other']], [['old']], ['old'], [[1, 2]], 'x']) {
      assert.equal(
        decodeEvent(JSON.stringify({ o: 'x', t: 'changed', k: ['old', 'new'], r: bad })),
        null,
        `rename ${JSON.stringify(bad)}`,
      );
    }
  });
});
