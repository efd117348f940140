import type { RawJson } from '../../common/http/json-body';
import { jsonMembers, type JsonMember } from './json-members';

/** An upstream body made of bytes, with its length as text (what a prompt estimate counts, as for a string body). */
export interface JsonBytes {
  readonly bytes: Buffer;
  chars(): number;
}

/**
 * The client's JSON body, sent on as the client's own bytes: a model call's upstream body is the client's with a few
 * top-level fields changed (`model`, `stream_options`, a dropped parameter), so rather than writing the whole parsed
 * body out again (JSON.stringify, then its UTF-8 encoding: two passes over a prompt of any size), the members still
 * holding the value they were parsed with are copied from the received bytes and only the others are written.
 *
 * A member counts as unchanged when the payload's top-level value is the very value parsed: a change must assign a
 * new value to the top-level field, never edit the value in place (nothing on the call path does). The members come
 * out in the payload's own key order, as JSON.stringify would write them. Each body sent becomes the bytes the next
 * attempt starts from, so a call holds one copy of its body, not two.
 */
export class ClientJson {
  private bytes: Buffer;
  /** All of `bytes` is ASCII: as many characters as bytes. */
  private ascii: boolean;
  private members: Map<string, JsonMember> | null | undefined;
  /** The top-level values `bytes` holds. */
  private values: Record<string, unknown>;

  /** `parsed`: the body as JSON.parse gave it from `raw`, before anything changed it. */
  constructor(raw: RawJson, parsed: Record<string, unknown>) {
    this.bytes = raw.bytes;
    this.ascii = raw.chars === raw.bytes.length;
    this.values = { ...parsed };
  }

  /** The client's body with `payload`'s top-level fields; null when only JSON.stringify can write it. */
  encode(payload: Record<string, unknown>): JsonBytes | null {
    if (this.members === undefined) this.members = jsonMembers(this.bytes);
    const members = this.members;
    if (members === null) return null;
    const bytes = this.bytes;
    const values = this.values;
    const parts: (Buffer | string)[] = [];
    let text = '{';
    let ascii = this.ascii;
    let first = true;
    let runStart = -1;
    let runEnd = -1;
    let last = -2;
    for (const key of Object.keys(payload)) {
      const value = payload[key];
      const m = members.get(key);
      if (m !== undefined && value === values[key]) {
        if (m.index === last + 1) {
          runEnd = m.end; // the member after the last one copied, in the client's text: one copy for both
        } else {
          if (runStart >= 0) text = flush(parts, text, bytes.subarray(runStart, runEnd));
          if (!first) text += ',';
          runStart = m.start;
          runEnd = m.end;
        }
        last = m.index;
        first = false;
        continue;
      }
      const json = JSON.stringify(value);
      if (json === undefined) continue; // as JSON.stringify leaves out an undefined member
      if (runStart >= 0) text = flush(parts, text, bytes.subarray(runStart, runEnd));
      runStart = -1;
      last = -2;
      if (!first) text += ',';
      const member = `${JSON.stringify(key)}:${json}`;
      ascii &&= Buffer.byteLength(member) === member.length;
      text += member;
      first = false;
    }
    if (runStart >= 0) text = flush(parts, text, bytes.subarray(runStart, runEnd));
    parts.push(text + '}');
    const out = join(parts);
    this.bytes = out;
    this.ascii = ascii;
    this.members = undefined;
    this.values = { ...payload };
    return { bytes: out, chars: () => (ascii ? out.length : utf16Length(out)) };
  }
}

/** Adds the text so far and a run of the client's bytes; answers the text that follows (empty). */
function flush(parts: (Buffer | string)[], text: string, run: Buffer): string {
  if (text !== '') parts.push(text);
  parts.push(run);
  return '';
}

function join(parts: readonly (Buffer | string)[]): Buffer {
  let length = 0;
  for (const p of parts) length += typeof p === 'string' ? Buffer.byteLength(p) : p.length;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const p of parts) at += typeof p === 'string' ? out.write(p, at) : p.copy(out, at);
  return out;
}

/** The length as a JavaScript string of valid UTF-8 bytes: one unit per character, two for those beyond U+FFFF. */
function utf16Length(b: Buffer): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c < 0x80 || c >= 0xc0) n += c >= 0xf0 ? 2 : 1; // continuation bytes (0x80-0xBF) add nothing
  }
  return n;
}
