import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BinaryRows } from '../../src/spend/spend-log-binary';
import type { SpendLogRow } from '../../src/spend/spend-log-row';
import { plainRow } from '../support/spend-rows';

/** The bytes of `rows` each encoded by a batch of its own (header and trailer dropped): no caller bytes reused. */
function alone(rows: readonly SpendLogRow[]): Buffer {
  return Buffer.concat(
    rows.map((r) => {
      const b = new BinaryRows(64);
      b.add(r);
      const [, body] = b.chunks();
      return Buffer.from(body);
    }),
  );
}

const held = (b: BinaryRows) => Buffer.from(b.chunks()[1]);

const callers: Partial<SpendLogRow>[] = [
  { apiKey: 'a'.repeat(64), keyAlias: 'first' },
  { apiKey: 'a'.repeat(64), keyAlias: 'first' },
  { apiKey: 'b'.repeat(64), keyAlias: null, teamId: 'team ü 🙂' },
  { apiKey: 'b'.repeat(64), keyAlias: null, teamId: 'team ü 🙂', user: 'u' },
  { apiKey: null, endUser: 'end' },
  { apiKey: 'a'.repeat(64), keyAlias: 'first' },
  { apiKey: 'a'.repeat(64), keyAlias: 'first', callType: 'aembedding' },
];

describe('spend log binary rows: the caller columns reused from the previous row', () => {
  it('encodes each row as it would alone, whether its caller repeats, changes or comes back', () => {
    const rows = Array.from({ length: 40 }, (_, i) =>
      plainRow(`row-${i}`, 1_700_000_000_000 + i, 0.001 * i, callers[Math.floor(i / 3) % callers.length]),
    );
    // A capacity far below the rows' bytes: the buffer grows several times between a caller's rows.
    const batch = new BinaryRows(64);
    for (const r of rows) batch.add(r);
    assert.deepEqual(held(batch), alone(rows));
  });

  it('after a reset, the next row with the same caller is encoded anew into the reused buffer', () => {
    const same = callers[0];
    const batch = new BinaryRows(4096);
    batch.add(plainRow('x-1', 1, 0.5, same));
    batch.reset();
    // Its id and request id written over where the previous batch's caller columns were.
    const next = [plainRow('x-2', 2, 0.25, { ...same, requestId: 'r'.repeat(200) }), plainRow('x-3', 3, 0.25, same)];
    for (const r of next) batch.add(r);
    assert.deepEqual(held(batch), alone(next));
  });
});
