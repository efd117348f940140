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
 * out in the payload's own key order, as JSON.stringify would write them.
 */
export class ClientJson {
  private members: Map<string, JsonMember> | null | undefined;
  /** The top-level values as parsed. */
  private readonly parsed: Record<string, unknown>;

  /** `parsed`: the body as JSON.parse gave it, before anything changed it. */
  constructor(
    private readonly raw: RawJson,
    parsed: Record<string, unknown>,
  ) {
    this.parsed = { ...parsed };
  }

  /** The client's body with `payload`'s top-level fields; null when only JSON.stringify can write it. */
  encode(payload: Record<string, unknown>): JsonBytes | null {
    if (this.members === undefined) this.members = jsonMembers(this.raw.bytes);
    const members = this.members;
    if (members === null) return null;
    const bytes = this.raw.bytes;
    const parsed = this.parsed;
    const parts: (Buffer | string)[] = [];
    let text = '{';
    let first = true;
    let runStart = -1;
    let runEnd = -1;
    let last = -2;
    for (const key of Object.keys(payload)) {
      const value = payload[key];
      const m = members.get(key);
      if (m !== undefined && value === parsed[key]) {
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
      text += `${JSON.stringify(key)}:${json}`;
      first = false;
    }
    if (runStart >= 0) text = flush(parts, text, bytes.subarray(runStart, runEnd));
    parts.push(text + '}');
    return new SplicedJson(parts, this.raw.chars === bytes.length);
  }
}

/** Adds the text so far and a run of the client's bytes; answers the text that follows (empty). */
function flush(parts: (Buffer | string)[], text: string, run: Buffer): string {
  if (text !== '') parts.push(text);
  parts.push(run);
  return '';
}

class SplicedJson implements JsonBytes {
  readonly bytes: Buffer;

  constructor(
    private readonly parts: readonly (Buffer | string)[],
    /** The client's bytes are all ASCII: as many characters as bytes. */
    private readonly ascii: boolean,
  ) {
    let length = 0;
    for (const p of parts) length += typeof p === 'string' ? Buffer.byteLength(p) : p.length;
    const out = Buffer.allocUnsafe(length);
    let at = 0;
    for (const p of parts) at += typeof p === 'string' ? out.write(p, at) : p.copy(out, at);
    this.bytes = out;
  }

  chars(): number {
    let n = 0;
    for (const p of this.parts) n += typeof p === 'string' ? p.length : this.ascii ? p.length : utf16Length(p);
    return n;
  }
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
