import { PG_EPOCH_MS } from '../../src/common/time/pg-time';
import { KeyIndex } from '../../src/keys/cache/key-index';
import type { KeySource } from '../../src/keys/cache/key-store';

/** A token as the gateway makes them: 64 hex digits. */
export const hex = (i: number) => i.toString(16).padStart(64, '0');

export type Row = Partial<KeySource> & { token: string };

/** Rows as PostgreSQL's binary COPY writes them (key-tuple.ts's columns): a header, each row, the end mark. */
export function copyBytes(rows: Row[]): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
  const int = (n: number, bytes: number) => {
    const b = Buffer.alloc(bytes);
    if (bytes === 2) b.writeInt16BE(n);
    else b.writeInt32BE(n);
    return b;
  };
  const field = (b: Buffer | null) => (b === null ? [int(-1, 4)] : [int(b.length, 4), b]);
  const text = (v: string | null | undefined) => field(v == null ? null : Buffer.from(v));
  const float = (v: number | null | undefined) => {
    if (v == null) return field(null);
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return field(b);
  };
  const int4 = (v: number | null | undefined) => field(v == null ? null : int(v, 4));
  const time = (v: Date | null | undefined) => {
    if (v == null) return field(null);
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v.getTime() - PG_EPOCH_MS) * 1000n);
    return field(b);
  };
  const json = (v: unknown) =>
    field(v == null ? null : Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify(v))]));
  const array = (v: readonly string[] | null | undefined) => {
    if (v == null) return field(null);
    const items = v.flatMap((x) => [int(Buffer.byteLength(x), 4), Buffer.from(x)]);
    return field(Buffer.concat([int(1, 4), int(0, 4), int(25, 4), int(v.length, 4), int(1, 4), ...items]));
  };
  for (const r of rows) {
    parts.push(int(20, 2), ...text(r.token), ...text(r.keyName ?? `sk-...${r.token.slice(-4)}`), ...text(r.keyAlias));
    parts.push(...array(r.models), ...array(r.allowedRoutes), ...time(r.expires), ...float(r.maxBudget));
    parts.push(...float(r.spend ?? 0), ...int4(r.rpmLimit), ...int4(r.tpmLimit), ...int4(r.maxParallelRequests));
    parts.push(...json(r.metadata), ...text(r.teamId), ...text(r.userId), ...field(Buffer.from([r.blocked ? 1 : 0])));
    parts.push(...json(r.extra), ...json(r.modelSpend), ...time(r.budgetResetAt), ...float(Number(r.changeSeq ?? 1)));
    parts.push(...text(r.budgetDuration));
  }
  parts.push(int(-1, 2));
  return Buffer.concat(parts);
}

/** An index of these rows, fed in chunks of `size` bytes. */
export function indexOf(rows: Row[], size = 1 << 16, limit = Infinity): KeyIndex {
  const index = new KeyIndex(limit);
  const bytes = copyBytes(rows);
  for (let i = 0; i < bytes.length; i += size) index.feed(bytes.subarray(i, i + size));
  return index;
}
