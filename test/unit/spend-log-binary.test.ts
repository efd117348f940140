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

/** Each row's fields as written (null for SQL NULL), read back by the format's own rules, header and trailer dropped. */
function fieldsOf(body: Buffer): (Buffer | null)[][] {
  const rows: (Buffer | null)[][] = [];
  let o = 0;
  while (o < body.length) {
    const n = body.readInt16BE(o);
    o += 2;
    const row: (Buffer | null)[] = [];
    for (let i = 0; i < n; i++) {
      const len = body.readInt32BE(o);
      o += 4;
      row.push(len < 0 ? null : body.subarray(o, o + len));
      if (len > 0) o += len;
    }
    rows.push(row);
  }
  return rows;
}

/** The text columns, in the order written (tokens, spend and times between model's and status's are skipped). */
const TEXT_COLUMNS = [
  'id',
  'requestId',
  'callType',
  'apiKey',
  'keyAlias',
  'teamId',
  'user',
  'endUser',
  'model',
  'modelId',
  'apiBase',
] as const;
const STATUS_FIELD = 18;

describe('spend log binary rows: text columns', () => {
  it("are each string's UTF-8 bytes, ASCII or not, short or long", () => {
    const texts = [
      'a',
      'x'.repeat(63),
      'y'.repeat(64),
      'z'.repeat(65),
      'é',
      'ascii then é',
      'é then ascii',
      'ends in 🙂',
      `${'k'.repeat(63)}ü`,
      `${'k'.repeat(64)}ü`,
      '日本語のキー',
      '',
    ];
    const rows = texts.map((t, i) =>
      plainRow(`${t}#${i}`, 1_700_000_000_000 + i, 0.5, {
        requestId: t,
        callType: i % 2 ? 'aembedding' : 'acompletion',
        apiKey: `${t}k`,
        keyAlias: t || null,
        teamId: `${t}t`,
        user: `u${t}`,
        endUser: t.toUpperCase(),
        model: `m${t}`,
        modelId: `d${i % 3}`,
        apiBase: `http://host/${t}`,
        status: i % 4 === 3 ? 'failure' : 'success',
      }),
    );
    const batch = new BinaryRows(64);
    for (const r of rows) batch.add(r);
    const written = fieldsOf(held(batch));
    assert.equal(written.length, rows.length);
    rows.forEach((r, i) => {
      TEXT_COLUMNS.forEach((c, k) => {
        const v = r[c];
        assert.deepEqual(written[i][k], v === null ? null : Buffer.from(v, 'utf8'), `${c} of row ${i}`);
      });
      assert.deepEqual(written[i][STATUS_FIELD], Buffer.from(r.status), `status of row ${i}`);
    });
  });

  it('encodes each row as it would alone while callers and deployments repeat and change independently', () => {
    const deployments: Partial<SpendLogRow>[] = [
      { model: 'g', modelId: 'dep-1', apiBase: 'http://a' },
      { model: 'g', modelId: 'dep-2', apiBase: 'http://b' },
      { model: 'g ü', modelId: 'dep-1', apiBase: 'http://a' },
      { model: 'client model', modelId: null, apiBase: null },
    ];
    // Callers change every 3 rows, deployments every 2 (and every 5): every mix of repeat and change.
    const rows = Array.from({ length: 60 }, (_, i) =>
      plainRow(`r-${i}`, 1_700_000_000_000 + i, 0.001 * i, {
        ...callers[Math.floor(i / 3) % callers.length],
        ...deployments[(Math.floor(i / 2) + Math.floor(i / 5)) % deployments.length],
      }),
    );
    const batch = new BinaryRows(64);
    for (const r of rows) batch.add(r);
    assert.deepEqual(held(batch), alone(rows));
    // After a reset and rows dropped, still each as alone.
    batch.reset();
    for (const r of rows.slice(10)) batch.add(r);
    batch.dropOldest(5);
    assert.deepEqual(held(batch), alone(rows.slice(15)));
  });
});
