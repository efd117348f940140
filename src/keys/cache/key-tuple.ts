import type { KeySource } from './key-store';

/**
 * The key cache's columns in COPY's binary format, in the order `keySourceAt` reads them. Empty arrays and objects
 * are NULL, as in the other reads (key-store.ts).
 */
export const TUPLE_COLUMNS = `token, key_name, key_alias, NULLIF(models, '{}'), NULLIF(allowed_routes, '{}'), expires,
  max_budget, spend, rpm_limit, tpm_limit, max_parallel_requests, NULLIF(metadata, '{}'), team_id, user_id, blocked,
  NULLIF(extra, '{}'), NULLIF(model_spend, '{}'), budget_reset_at, change_seq::float8`;

/** PostgreSQL's epoch (2000-01-01) in Unix milliseconds: binary timestamps count microseconds from it. */
const PG_EPOCH_MS = 946_684_800_000;

/** A row of COPY's binary format (a field count, then each field's length, -1 for NULL, and bytes) at `at`. */
export function keySourceAt(page: Buffer, at: number, token: string): KeySource {
  const r = new TupleReader(page, at);
  r.skip(); // the token, known
  return {
    token,
    keyName: r.text() ?? '',
    keyAlias: r.text(),
    models: r.textArray(),
    allowedRoutes: r.textArray(),
    expires: r.time(),
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
    budgetResetAt: r.time(),
    changeSeq: r.float8() ?? 0,
  };
}

/** The column `spend` in `keySourceAt`'s order. */
const SPEND_FIELD = 7;

/** Writes `spend` over the row's spend field (a float8: never NULL, always 8 bytes). */
export function spendAt(page: Buffer, at: number, spend: number): void {
  let p = at + 2;
  for (let i = 0; i < SPEND_FIELD; i++) {
    const len = int32(page, p);
    p += 4 + (len > 0 ? len : 0);
  }
  if (int32(page, p) === 8) page.writeDoubleBE(spend, p + 4);
}

/** Where the row at `at` ends; -1 when the bytes end first; `TRAILER` at COPY's end mark. */
export function tupleEnd(b: Buffer, at: number): number {
  if (at + 2 > b.length) return -1;
  const n = (b[at] << 8) | b[at + 1];
  if (n === 0xffff) return TRAILER;
  let p = at + 2;
  for (let i = 0; i < n; i++) {
    if (p + 4 > b.length) return -1;
    const len = int32(b, p);
    p += 4 + (len > 0 ? len : 0);
  }
  return p > b.length ? -1 : p;
}
export const TRAILER = -2;

/**
 * A big-endian int32 at `p` (the caller knows the 4 bytes are there): read inline, where Buffer's readInt32BE
 * checks its argument and bounds on each of the ~20 reads a row takes.
 */
export function int32(b: Uint8Array, p: number): number {
  return (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
}

const DOUBLE = new DataView(new ArrayBuffer(8));

/** A big-endian float8 at `p`: its bytes copied to a DataView, where Buffer's readDoubleBE checks its argument. */
function float8(b: Uint8Array, p: number): number {
  for (let i = 0; i < 8; i++) DOUBLE.setUint8(i, b[p + i]);
  return DOUBLE.getFloat64(0);
}

/** The fields of one row, in order: each read gives null for NULL. */
class TupleReader {
  private p: number;
  private start = 0;

  constructor(
    private readonly b: Buffer,
    at: number,
  ) {
    this.p = at + 2;
  }

  /** Steps over the next field; its length (-1: NULL), its bytes from `start`. */
  skip(): number {
    const len = int32(this.b, this.p);
    this.start = this.p + 4;
    this.p = this.start + (len > 0 ? len : 0);
    return len;
  }

  text(): string | null {
    const len = this.skip();
    return len < 0 ? null : this.b.toString('utf8', this.start, this.start + len);
  }

  float8(): number | null {
    return this.skip() < 0 ? null : float8(this.b, this.start);
  }

  int4(): number | null {
    return this.skip() < 0 ? null : int32(this.b, this.start);
  }

  bool(): boolean | null {
    return this.skip() < 0 ? null : this.b[this.start] === 1;
  }

  /** Microseconds as an int64, read as two int32s (exact below 2^53: ~285 years from 2000), with no BigInt. */
  time(): Date | null {
    if (this.skip() < 0) return null;
    const micros = int32(this.b, this.start) * 2 ** 32 + (int32(this.b, this.start + 4) >>> 0);
    return new Date(PG_EPOCH_MS + micros / 1000);
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
    const dims = int32(b, this.start);
    let count = dims === 0 ? 0 : 1;
    for (let d = 0; d < dims; d++) count *= int32(b, this.start + 12 + d * 8);
    const out: string[] = [];
    let p = this.start + 12 + dims * 8;
    for (let i = 0; i < count; i++) {
      const n = int32(b, p);
      p += 4;
      // A NULL element (the gateway never writes one) reads as an empty name, which matches no model or route.
      out.push(n < 0 ? '' : b.toString('utf8', p, p + n));
      p += n > 0 ? n : 0;
    }
    return out;
  }
}
