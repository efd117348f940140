import type { RawJson } from '../../common/http/json-body';
import { jsonMembers, type JsonMember } from './json-members';
import { restoreLongStrings, type LongStrings } from './long-strings';

/**
 * Members of the body sent this long or longer are let go of as parsed values once sent (`release`): parsed prompts
 * of this size are what a call in flight holds that the next young-generation collection copies or promotes.
 */
const RELEASE_MIN_BYTES = 16 * 1024;

/** Stands for a value let go of: the bytes sent hold it. */
const RELEASED: unknown = Object.freeze({ released: true });

/**
 * Below this size a body JSON.stringify can write faithfully is written out again rather than copied member by member:
 * for a few hundred bytes, finding and joining the members costs more than writing the parsed value.
 */
export const CLIENT_JSON_MIN_BYTES = 1024;

/** How many values `restringifiable` looks at before it leaves the body to the member-copying path. */
const MAX_VALUES = 256;

/**
 * Whether JSON.stringify of `parsed` (a small body as JSON.parse gave it) carries the client's values: no number
 * JSON.parse rounded or overflowed (an integer past 2^53, 1e400). Decimals are doubles to the upstream as well. A body
 * of more than MAX_VALUES values is not looked through: the member-copying path takes it.
 */
export function restringifiable(parsed: Record<string, unknown>): boolean {
  const stack: unknown[] = [parsed];
  let seen = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'number') {
      if (!(Math.abs(v) <= Number.MAX_SAFE_INTEGER) && (Number.isInteger(v) || !Number.isFinite(v))) return false;
    } else if (typeof v === 'object' && v !== null) {
      if (Array.isArray(v)) for (let i = 0; i < v.length; i++) stack.push(v[i]);
      else for (const k in v) stack.push((v as Record<string, unknown>)[k]);
    }
    if (++seen > MAX_VALUES) return false;
  }
  return true;
}

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
  /** `bytes` is the buffer the body was received in, not yet handed to a socket: it may be written in place. */
  private own = true;
  private members: Map<string, JsonMember> | null | undefined;
  /** The top-level values `bytes` holds. */
  private values: Record<string, unknown>;
  /** The members of the last body written that came unchanged from the bytes and are long (see RELEASE_MIN_BYTES). */
  private long: string[] | null = null;
  /** The keys whose values were let go of (RELEASED in the payload and in `values`), until restored. */
  private released: string[] | null = null;
  /** The long strings the body was parsed without: stand-ins in the parsed values (see long-strings.ts). */
  private readonly elided: LongStrings | null;

  /** `parsed`: the body as JSON.parse gave it from `raw`, before anything changed it. */
  constructor(raw: RawJson, parsed: Record<string, unknown>) {
    this.bytes = raw.bytes;
    this.ascii = raw.ascii;
    this.values = { ...parsed };
    this.elided = raw.elided?.strings ?? null;
    this.members = raw.elided?.members;
  }

  /** The client's body with `payload`'s top-level fields; null when only JSON.stringify can write it. */
  encode(payload: Record<string, unknown>): JsonBytes | null {
    if (this.members === undefined) this.members = jsonMembers(this.bytes);
    const members = this.members;
    if (members === null) {
      this.restore(payload); // JSON.stringify writes the payload: its values must be back
      return null;
    }
    const bytes = this.bytes;
    const values = this.values;
    const parts: (Buffer | string)[] = [];
    let text = '{';
    let ascii = this.ascii;
    let first = true;
    let runStart = -1;
    let runEnd = -1;
    let last = -2;
    let long: string[] | null = null;
    for (const key of Object.keys(payload)) {
      const value = payload[key];
      const m = members.get(key);
      if (m !== undefined && value === values[key]) {
        if (m.end - m.start >= RELEASE_MIN_BYTES) (long ??= []).push(key);
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
      // A value the call path made anew may hold stand-ins it took from the parsed body: the strings go in their place.
      const json = JSON.stringify(this.elided === null ? value : restoreLongStrings(value, this.elided));
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
    const out = (this.own ? inPlace(bytes, parts) : null) ?? join(parts);
    this.own = false;
    this.bytes = out;
    this.ascii = ascii;
    this.members = undefined;
    this.values = { ...payload };
    this.long = long;
    return { bytes: out, chars: () => (ascii ? out.length : utf16Length(out)) };
  }

  /**
   * Lets go of the parsed values of the long members the last body written holds unchanged: in the payload (which
   * is also the request's body) they become a stand-in, so that a call waiting on its upstream holds its prompt once,
   * as bytes, and not also as parsed strings and arrays that young-generation collections copy and promote. `encode`
   * copies such a member from the bytes as before; anything else that reads the payload's values must `restore` it
   * first. Call right after `encode`.
   */
  release(payload: Record<string, unknown>): void {
    const long = this.long;
    if (long === null) return;
    this.long = null;
    const values = this.values;
    for (const key of long) {
      payload[key] = RELEASED;
      values[key] = RELEASED;
    }
    this.released = long; // any let go of before and still unchanged is long again
  }

  /**
   * Puts the values let go of back into the payload, parsed from the last body written (which holds them), and the
   * long strings it was parsed without in place of their stand-ins.
   */
  restore(payload: Record<string, unknown>): void {
    if (this.elided !== null) restoreLongStrings(payload, this.elided);
    const released = this.released;
    if (released === null) return;
    this.released = null;
    const sent = JSON.parse(this.bytes.toString('utf8')) as Record<string, unknown>;
    const values = this.values;
    for (const key of released) {
      // A key the call path removed or replaced since stays as the call path left it.
      if (payload[key] !== RELEASED) continue;
      payload[key] = sent[key];
      values[key] = sent[key];
    }
  }
}

/** Adds the text so far and a run of the client's bytes; answers the text that follows (empty). */
function flush(parts: (Buffer | string)[], text: string, run: Buffer): string {
  if (text !== '') parts.push(text);
  parts.push(run);
  return '';
}

/**
 * The body as one run of the received bytes with text before and after it, written around the run in the buffer
 * itself when the text fits where the members it replaces were (the usual call: a new `model` first, then the rest
 * as the client sent it): no copy of the prompt. Null when it is not that shape or does not fit.
 */
function inPlace(bytes: Buffer, parts: readonly (Buffer | string)[]): Buffer | null {
  if (parts.length !== 3) return null;
  const [head, run, tail] = parts;
  if (typeof head !== 'string' || typeof run === 'string' || typeof tail !== 'string') return null;
  const start = run.byteOffset - bytes.byteOffset;
  const end = start + run.length;
  const headLength = Buffer.byteLength(head);
  const tailLength = Buffer.byteLength(tail);
  if (headLength > start || tailLength > bytes.length - end) return null;
  const out = bytes.subarray(start - headLength, end + tailLength);
  out.write(head, 0);
  out.write(tail, headLength + run.length);
  return out;
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
