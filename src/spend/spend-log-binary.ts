import { DeploymentMemo, sameCaller, sameDeployment } from './spend-log-columns';
import { EncodedRows } from './spend-log-encoded';
import type { SpendLogRow } from './spend-log-row';
import { asWord7, field, ids, instant, int4, noTags, nullField, tags, tagsRoom, text, word7 } from './spend-log-fields';

/** `PGCOPY\n\377\r\n\0`, then no flags and no header extension. */
export const BINARY_HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
/** A field count of -1 ends the data. */
export const BINARY_TRAILER = Buffer.from([0xff, 0xff]);

const FIELDS = 21;
/** Room for a row's numbers, times, lengths and fixed words; strings are counted on top (3 bytes a UTF-16 unit). */
const FIXED_ROOM = 256;

/**
 * Spend log rows in COPY's binary format, for PostgreSQL: the database reads numbers and times as they are rather
 * than parsing text. The caller's and the deployment's columns are copied from the previous row's bytes while they
 * are the same (a batch is mostly one caller's calls to one deployment); otherwise the caller's are encoded in place
 * (calls spread over many keys make no buffer per new caller) and the deployment's are encoded once per deployment.
 */
export class BinaryRows extends EncodedRows {
  /** The last rows whose caller and deployment columns were encoded (valid until `reset`). */
  private lastCaller: SpendLogRow | undefined;
  private lastDeployment: SpendLogRow | undefined;
  /** Where the previous row's caller columns are, and its deployment's (they follow). */
  private callerAt = 0;
  private callerEnd = 0;
  private deploymentEnd = 0;

  constructor(capacity = 1 << 19) {
    super(capacity);
  }

  override reset(): void {
    super.reset();
    this.lastCaller = undefined;
    this.lastDeployment = undefined;
  }

  add(r: SpendLogRow): void {
    const lastCaller = this.lastCaller;
    const lastDeployment = this.lastDeployment;
    const caller = lastCaller !== undefined && sameCaller(r, lastCaller);
    const deployment = lastDeployment !== undefined && sameDeployment(r, lastDeployment) ? null : columns.deployment(r);
    this.ensure(
      FIXED_ROOM +
        (caller ? this.callerEnd - this.callerAt : callerRoom(r)) +
        (deployment === null ? this.deploymentEnd - this.callerEnd : deployment.length) +
        3 * (r.id.length + r.requestId.length) +
        tagsRoom(r.requestTags),
    );
    const b = this.buf;
    const v = this.view;
    let o = this.off;
    v.setInt16(o, FIELDS);
    o = ids(b, v, o + 2, r.id, r.requestId);
    // Repeated columns are copied from the previous row's, just written (still in the CPU's cache); the caller's and
    // the deployment's are adjacent, so while both repeat they are one copy.
    const at = o;
    if (caller && deployment === null) {
      b.copyWithin(o, this.callerAt, this.deploymentEnd);
      o += this.deploymentEnd - this.callerAt;
      this.callerEnd += at - this.callerAt;
    } else {
      if (caller) {
        b.copyWithin(o, this.callerAt, this.callerEnd);
        o += this.callerEnd - this.callerAt;
      } else {
        o = field(b, v, o, r.callType);
        o = field(b, v, o, r.apiKey);
        o = field(b, v, o, r.keyAlias);
        o = field(b, v, o, r.teamId);
        o = field(b, v, o, r.user);
        o = field(b, v, o, r.endUser);
        this.lastCaller = r;
      }
      const callerEnd = o;
      if (deployment === null) {
        b.copyWithin(o, this.callerEnd, this.deploymentEnd);
        o += this.deploymentEnd - this.callerEnd;
      } else {
        b.set(deployment, o);
        o += deployment.length;
        this.lastDeployment = r;
      }
      this.callerEnd = callerEnd;
    }
    this.callerAt = at;
    this.deploymentEnd = o;
    o = int4(v, o, r.promptTokens);
    o = int4(v, o, r.completionTokens);
    o = int4(v, o, r.promptTokens + r.completionTokens);
    v.setInt32(o, 8);
    v.setFloat64(o + 4, r.spend);
    o = instant(v, o + 12, r.startTime);
    o = instant(v, o, r.endTime);
    o = r.completionStartTime === null ? nullField(v, o) : instant(v, o, r.completionStartTime);
    o = word7(v, o, r.status === 'success' ? SUCCESS : FAILURE);
    o = int4(v, o, r.statusCode);
    o = r.requestTags.length === 0 ? noTags(v, o) : tags(b, v, o, r.requestTags);
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

const SUCCESS = asWord7('success');
const FAILURE = asWord7('failure');

/** The deployment's columns, encoded once and copied while they repeat (the caller's are encoded in place). */
const columns = new DeploymentMemo<Buffer>((r) => fields([r.model, r.modelId, r.apiBase]));

/** Room for the caller's columns (3 bytes a UTF-16 unit). */
function callerRoom(r: SpendLogRow): number {
  return 24 + 3 * (r.callType.length + len(r.apiKey) + len(r.keyAlias) + len(r.teamId) + len(r.user) + len(r.endUser));
}

const len = (s: string | null) => (s === null ? 0 : s.length);
