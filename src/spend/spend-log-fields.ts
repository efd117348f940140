import { PG_EPOCH_MS } from '../common/time/pg-time';

/** The fields of COPY's binary format that a spend log row is made of: each writes at `o` and returns its end. */

const TWO_32 = 4_294_967_296;
/** `text`'s type id: the element type a text[] carries in binary form. */
const TEXT_OID = 25;

/** A word of 7 ASCII letters as its bytes' first 4, next 2 and last 1, for `word7`. */
export function asWord7(word: string): readonly [number, number, number] {
  const b = Buffer.from(word, 'latin1');
  if (b.length !== 7 || !/^[a-z]+$/.test(word)) throw new Error(`not a word of 7 letters: ${word}`);
  return [b.readUInt32BE(0), b.readUInt16BE(4), b[6]];
}

export function field(b: Buffer, v: DataView, o: number, s: string | null): number {
  return s === null ? nullField(v, o) : text(b, v, o, s);
}

export function tagsRoom(tags: readonly string[]): number {
  let n = 0;
  for (const t of tags) n += 4 + 3 * t.length;
  return n;
}

export function nullField(v: DataView, o: number): number {
  v.setInt32(o, -1);
  return o + 4;
}

export function int4(v: DataView, o: number, n: number): number {
  v.setInt32(o, 4);
  v.setInt32(o + 4, n | 0);
  return o + 8;
}

/**
 * The id and the request id, adjacent fields, by one call into C++ when both are ASCII (nearly always: the gateway
 * makes ids, and a client's request id is taken only if ASCII): a `Buffer.write` costs more than the rest of a row.
 */
export function ids(b: Buffer, v: DataView, o: number, id: string, requestId: string): number {
  const n = id.length;
  const m = requestId.length;
  // UTF-8 has as many bytes as UTF-16 units only if every unit is ASCII: then the lengths are the strings'.
  if (b.write(`${id}\0\0\0\0${requestId}`, o + 4) === n + 4 + m) {
    v.setInt32(o, n);
    v.setInt32(o + 4 + n, m);
    return o + 8 + n + m;
  }
  return text(b, v, text(b, v, o, id), requestId);
}

/** A text field of 7 ASCII letters (`asWord7`'s). */
export function word7(v: DataView, o: number, w: readonly [number, number, number]): number {
  v.setInt32(o, 7);
  v.setUint32(o + 4, w[0]);
  v.setUint16(o + 8, w[1]);
  v.setUint8(o + 10, w[2]);
  return o + 11;
}

/** An empty text[]: no dimensions, no nulls, element type text. */
export function noTags(v: DataView, o: number): number {
  v.setInt32(o, 12);
  v.setInt32(o + 4, 0);
  v.setInt32(o + 8, 0);
  v.setInt32(o + 12, TEXT_OID);
  return o + 16;
}

/** A length-prefixed UTF-8 string. */
export function text(b: Buffer, v: DataView, o: number, s: string): number {
  const bytes = b.write(s, o + 4);
  v.setInt32(o, bytes);
  return o + 4 + bytes;
}

/** A timestamptz: microseconds since PostgreSQL's epoch, a signed 64-bit integer. */
export function instant(v: DataView, o: number, ms: number): number {
  const us = (ms - PG_EPOCH_MS) * 1000;
  const hi = Math.floor(us / TWO_32);
  v.setInt32(o, 8);
  v.setInt32(o + 4, hi);
  v.setUint32(o + 8, us - hi * TWO_32);
  return o + 12;
}

/** A text[] of one dimension, no nulls. */
export function tags(b: Buffer, v: DataView, o: number, list: readonly string[]): number {
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
