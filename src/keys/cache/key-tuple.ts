import { pgEndMicros } from '../../common/time/pg-time';
import type { KeySource } from './key-store';

/**
 * The key cache's columns in COPY's binary format, in the order `keySourceAt` reads them. Empty arrays and objects
 * are NULL, as in the other reads (key-store.ts).
 */
export const TUPLE_COLUMNS = `token, key_name, key_alias, NULLIF(models, '{}'), NULLIF(allowed_routes, '{}'), expires,
  max_budget, spend, rpm_limit, tpm_limit, max_parallel_requests, NULLIF(metadata, '{}'), team_id, user_id, blocked,
  NULLIF(extra, '{}'), NULLIF(model_spend, '{}'), budget_reset_at, change_seq::float8, budget_duration`;

/**
 * A row of COPY's binary format (a field count, then each field's length, -1 for NULL, and bytes) at `at` of `page`;
 * `view` is a DataView of the same bytes, which reads its numbers (Buffer's own reads check their arguments).
 */
export function keySourceAt(page: Buffer, view: DataView, at: number, token: string): KeySource {
  const r = new TupleReader(page, view, at);
  r.skip(); // the token, known
  return {
    token,
    keyName: r.text() ?? '',
    keyAlias: r.text(),
    models: r.textArray(),
    allowedRoutes: r.textArray(),
    expires: r.end(),
    maxBudget: r.float8(),
    spend: r.float8() ?? 0,
    rpmLimit: r.int4(),
    tpmLimit: r.int4(),
    maxParallelRequests: r.int4(),
    metadata: r.jsonb() as KeySource['metadata'],
    teamId: r.text(),
    userId: r.text(),
    blocked: r.bool() ?? false,
    extra: r.jsonb() as KeySource['extra'],
    modelSpend: r.jsonb() as KeySource['modelSpend'],
    budgetResetAt: r.end(),
    changeSeq: r.float8() ?? 0,
    budgetDuration: r.text(),
  };
}

/** The column `spend` in `keySourceAt`'s order. */
const SPEND_FIELD = 7;

/** Writes `spend` over the row's spend field (a float8: never NULL, always 8 bytes), in a view of its page. */
export function spendAt(page: DataView, at: number, spend: number): void {
  let p = at + 2;
  for (let i = 0; i < SPEND_FIELD; i++) {
    const len = page.getInt32(p);
    p += 4 + (len > 0 ? len : 0);
  }
  if (page.getInt32(p) === 8) page.setFloat64(p + 4, spend);
}

/** Where the row at `at` of a page's view ends; -1 when the bytes end first; `TRAILER` at COPY's end mark. */
export function tupleEnd(b: DataView, at: number): number {
  const end = b.byteLength;
  if (at + 2 > end) return -1;
  const n = b.getUint16(at);
  if (n === 0xffff) return TRAILER;
  let p = at + 2;
  for (let i = 0; i < n; i++) {
    if (p + 4 > end) return -1;
    const len = b.getInt32(p);
    p += 4 + (len > 0 ? len : 0);
  }
  return p > end ? -1 : p;
}
export const TRAILER = -2;

/** A DataView of a Buffer's bytes. */
export function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** The fields of one row, in order: each read gives null for NULL. */
class TupleReader {
  private p: number;
  private start = 0;

  constructor(
    private readonly b: Buffer,
    private readonly v: DataView,
    at: number,
  ) {
    this.p = at + 2;
  }

  /** Steps over the next field; its length (-1: NULL), its bytes from `start`. */
  skip(): number {
    const len = this.v.getInt32(this.p);
    this.start = this.p + 4;
    this.p = this.start + (len > 0 ? len : 0);
    return len;
  }

  text(): string | null {
    const len = this.skip();
    return len < 0 ? null : this.b.toString('utf8', this.start, this.start + len);
  }

  float8(): number | null {
    return this.skip() < 0 ? null : this.v.getFloat64(this.start);
  }

  int4(): number | null {
    return this.skip() < 0 ? null : this.v.getInt32(this.start);
  }

  bool(): boolean | null {
    return this.skip() < 0 ? null : this.v.getUint8(this.start) === 1;
  }

  /**
   * An end in time (pg-time.ts): microseconds as an int64, read as two int32s (exact below 2^53: ~285 years from
   * 2000), with no BigInt.
   */
  end(): Date | null {
    return this.skip() < 0 ? null : pgEndMicros(this.v.getInt32(this.start), this.v.getUint32(this.start + 4));
  }

  /** jsonb: a version byte, then the JSON text. */
  jsonb(): unknown {
    const len = this.skip();
    return len < 0 ? null : JSON.parse(this.b.toString('utf8', this.start + 1, this.start + len));
  }

  /** An array of text: dimensions, flags, element type, each dimension's size and lower bound, then the elements. */
  textArray(): string[] | null {
    const len = this.skip();
    if (len < 0) return null;
    const b = this.b;
    const v = this.v;
    const dims = v.getInt32(this.start);
    let count = dims === 0 ? 0 : 1;
    for (let d = 0; d < dims; d++) count *= v.getInt32(this.start + 12 + d * 8);
    const out: string[] = [];
    let p = this.start + 12 + dims * 8;
    for (let i = 0; i < count; i++) {
      const n = v.getInt32(p);
      p += 4;
      // A NULL element (the gateway never writes one) reads as an empty name, which matches no model or route.
      out.push(n < 0 ? '' : b.toString('utf8', p, p + n));
      p += n > 0 ? n : 0;
    }
    return out;
  }
}
