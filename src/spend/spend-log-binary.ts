import { DeploymentMemo, sameCaller } from './spend-log-columns';
import { EncodedRows } from './spend-log-encoded';
import type { SpendLogRow } from './spend-log-row';

/** `PGCOPY\n\377\r\n\0`, then no flags and no header extension. */
export const BINARY_HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
/** A field count of -1 ends the data. */
export const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

const FIELDS = 21;
/** PostgreSQL's epoch (2000-01-01 UTC) in Unix milliseconds: timestamps are microseconds from it. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;
/** `text`'s type id: the element type a text[] carries in binary form. */
const TEXT_OID = 25;
/** Room for a row's numbers, times, lengths and fixed words; strings are counted on top (3 bytes a UTF-16 unit). */
const FIXED_ROOM = 256;

/**
 * Spend log rows in COPY's binary format, for PostgreSQL: the database reads numbers and times as they are rather
 * than parsing text. The deployment's columns are encoded once and copied while they repeat; the caller's are
 * encoded in place, and copied from the previous row's bytes while the caller is the same (a batch is mostly one
 * caller's calls, and calls spread over many keys make no buffer per new caller).
 */
export class BinaryRows extends EncodedRows {
  /** The last row whose caller columns were encoded, and where in the buffer (valid until `reset`). */
  private lastCaller: SpendLogRow | undefined;
  private callerAt = 0;
  private callerEnd = 0;

  constructor(capacity = 1 << 19) {
    super(capacity);
  }

  override reset(): void {
    super.reset();
    this.lastCaller = undefined;
  }

  add(r: SpendLogRow): void {
    const deployment = columns.deployment(r);
    const last = this.lastCaller;
    const same = last !== undefined && sameCaller(r, last);
    this.ensure(
      FIXED_ROOM +
        (same ? this.callerEnd - this.callerAt : callerRoom(r)) +
        deployment.length +
        3 * (r.id.length + r.requestId.length) +
        tagsRoom(r.requestTags),
    );
    const b = this.buf;
    const v = this.view;
    let o = this.off;
    v.setInt16(o, FIELDS);
    o = text(b, v, o + 2, r.id);
    o = text(b, v, o, r.requestId);
    if (same) {
      b.copyWithin(o, this.callerAt, this.callerEnd);
      o += this.callerEnd - this.callerAt;
    } else {
      this.callerAt = o;
      o = field(b, v, o, r.callType);
      o = field(b, v, o, r.apiKey);
      o = field(b, v, o, r.keyAlias);
      o = field(b, v, o, r.teamId);
      o = field(b, v, o, r.user);
      o = field(b, v, o, r.endUser);
      this.callerEnd = o;
      this.lastCaller = r;
    }
    b.set(deployment, o);
    o += deployment.length;
    o = int4(v, o, r.promptTokens);
    o = int4(v, o, r.completionTokens);
    o = int4(v, o, r.promptTokens + r.completionTokens);
    v.setInt32(o, 8);
    v.setFloat64(o + 4, r.spend);
    o = instant(v, o + 12, r.startTime);
    o = instant(v, o, r.endTime);
    o = r.completionStartTime === null ? nullField(v, o) : instant(v, o, r.completionStartTime);
    const status = r.status === 'success' ? SUCCESS : FAILURE;
    b.set(status, o);
    o = int4(v, o + status.length, r.statusCode);
    if (r.requestTags.length === 0) {
      b.set(NO_TAGS, o);
      o += NO_TAGS.length;
    } else o = tags(b, v, o, r.requestTags);
    this.off = o;
    this.endRow(r.startTime);
  }

  /** The rows held, as the body of `COPY ... FROM STDIN (FORMAT binary)`: header, rows, trailer. */
  chunks(): Buffer[] {
    return [BINARY_HEADER, this.held(), BINARY_TRAILER];
  }
}

/** Fields encoded alone, for the columns encoded once and copied. */
function fields(values: readonly (string | null)[]): Buffer {
  let room = 0;
  for (const s of values) room += 4 + (s === null ? 0 : 3 * s.length);
  const b = Buffer.allocUnsafeSlow(room);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  let o = 0;
  for (const s of values) o = s === null ? nullField(v, o) : text(b, v, o, s);
  return Buffer.from(b.subarray(0, o));
}

const SUCCESS = fields(['success']);
const FAILURE = fields(['failure']);
/** An empty text[]: no dimensions, no nulls, element type text. */
const NO_TAGS = Buffer.from([0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, TEXT_OID]);

/** The deployment's columns, encoded once and copied while they repeat (the caller's are encoded in place). */
const columns = new DeploymentMemo<Buffer>((r) => fields([r.model, r.modelId, r.apiBase]));

/** Room for the caller's columns (3 bytes a UTF-16 unit). */
function callerRoom(r: SpendLogRow): number {
  return 24 + 3 * (r.callType.length + len(r.apiKey) + len(r.keyAlias) + len(r.teamId) + len(r.user) + len(r.endUser));
}

const len = (s: string | null) => (s === null ? 0 : s.length);

function field(b: Buffer, v: DataView, o: number, s: string | null): number {
  return s === null ? nullField(v, o) : text(b, v, o, s);
}

function tagsRoom(tags: readonly string[]): number {
  let n = 0;
  for (const t of tags) n += 4 + 3 * t.length;
  return n;
}

function nullField(v: DataView, o: number): number {
  v.setInt32(o, -1);
  return o + 4;
}

function int4(v: DataView, o: number, n: number): number {
  v.setInt32(o, 4);
  v.setInt32(o + 4, n | 0);
  return o + 8;
}

/** A length-prefixed UTF-8 string. */
function text(b: Buffer, v: DataView, o: number, s: string): number {
  const bytes = b.write(s, o + 4);
  v.setInt32(o, bytes);
  return o + 4 + bytes;
}

/** A timestamptz: microseconds since PostgreSQL's epoch, a signed 64-bit integer. */
function instant(v: DataView, o: number, ms: number): number {
  const us = (ms - PG_EPOCH_MS) * 1000;
  const hi = Math.floor(us / TWO_32);
  v.setInt32(o, 8);
  v.setInt32(o + 4, hi);
  v.setUint32(o + 8, us - hi * TWO_32);
  return o + 12;
}

/** A text[] of one dimension, no nulls. */
function tags(b: Buffer, v: DataView, o: number, list: readonly string[]): number {
  const start = o;
  v.setInt32(o + 4, 1);
  v.setInt32(o + 8, 0);
  v.setInt32(o + 12, TEXT_OID);
  v.setInt32(o + 16, list.length);
  v.setInt32(o + 20, 1);
  o += 24;
  for (const t of list) o = text(b, v, o, t);
  v.setInt32(start, o - start - 4);
  return o;
}
