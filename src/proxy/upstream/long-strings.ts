import { randomBytes } from 'node:crypto';
import { jsonMembers, stringEnd, type JsonMember } from './json-members';

/** A string this long or longer in a chat body's `messages` is kept as bytes and never decoded (see elideLongStrings). */
export const LONG_STRING_MIN_BYTES = 16 * 1024;
/** Bodies shorter than this are parsed whole: too little to gain from looking for long strings first. */
export const LONG_BODY_MIN_BYTES = 64 * 1024;

/**
 * What a long string stands as in the parsed body: this process's random tag, then the string's number. A client
 * cannot send one by chance or on purpose (the tag is not shown anywhere), so no string of theirs is taken for one.
 * Plain ASCII, so that the text parsed needs no escape for it.
 */
const TAG = `~${randomBytes(12).toString('base64url')}:`;
const TAG_FIRST = TAG.charCodeAt(0);

/** A body's long strings: where each is in its bytes (opening quote, just after the closing one), two offsets each. */
export interface LongStrings {
  readonly bytes: Buffer;
  readonly at: readonly number[];
}

/** A chat body's text with its long strings replaced by stand-ins, ready for JSON.parse. */
export interface Elided {
  readonly text: string;
  readonly strings: LongStrings;
  /** The body's top-level members (as jsonMembers finds them), which the upstream body is copied from. */
  readonly members: Map<string, JsonMember>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/**
 * A chat body with a prompt of many kilobytes, made ready to parse without its long strings: each string value of
 * LONG_STRING_MIN_BYTES or more inside `messages` becomes a short stand-in in the text JSON.parse reads. The gateway
 * reads nothing of a prompt's text when the upstream speaks OpenAI's format (the body sent is copied from these
 * bytes), so a long prompt is never decoded nor held as strings: no copies of it on the heap for collections to
 * promote and mark. Each string replaced is checked as JSON.parse would (no raw control character, valid escapes;
 * the body is already known to be UTF-8), so the body parses exactly when the whole text would. Null: nothing to
 * replace, or anything unusual (the whole text is then parsed, and refused as usual if it is not JSON).
 */
export function elideLongStrings(b: Buffer): Elided | null {
  const members = jsonMembers(b);
  const m = members?.get('messages');
  if (members == null || m === undefined || m.end - m.start < LONG_STRING_MIN_BYTES) return null;
  const at: number[] = [];
  let i = stringEnd(b, m.start); // past the key
  while (i < m.end) {
    if (b[i] !== QUOTE) {
      i++;
      continue;
    }
    const j = stringEnd(b, i);
    if (j < 0) return null;
    if (j - i >= LONG_STRING_MIN_BYTES && !isKey(b, j)) {
      if (!validContent(b, i + 1, j - 1)) return null;
      at.push(i, j);
    }
    i = j;
  }
  if (at.length === 0) return null;
  let text = b.toString('utf8', 0, at[0]);
  for (let k = 0; k < at.length; k += 2) {
    text += `"${TAG}${k >> 1}"`;
    text += b.toString('utf8', at[k + 1], k + 2 < at.length ? at[k + 2] : b.length);
  }
  return { text, strings: { bytes: b, at }, members };
}

/**
 * Puts the long strings back where their stand-ins are, anywhere in `value` (changed in place), decoded from the
 * bytes; answers `value`, or the string a stand-in given alone stands for.
 */
export function restoreLongStrings(value: unknown, strings: LongStrings): unknown {
  if (typeof value === 'string') return isStandIn(value) ? decode(value, strings) : value;
  if (typeof value !== 'object' || value === null) return value;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const o = stack.pop() as Record<string, unknown>;
    for (const k of Array.isArray(o) ? o.keys() : Object.keys(o)) {
      const v = o[k as string];
      if (typeof v === 'string') {
        if (isStandIn(v)) o[k as string] = decode(v, strings);
      } else if (typeof v === 'object' && v !== null) stack.push(v);
    }
  }
  return value;
}

function isStandIn(s: string): boolean {
  return s.charCodeAt(0) === TAG_FIRST && s.startsWith(TAG);
}

function decode(standIn: string, { bytes, at }: LongStrings): string {
  const n = 2 * Number(standIn.slice(TAG.length));
  return JSON.parse(bytes.toString('utf8', at[n], at[n + 1])) as string;
}

/** Whether the string ending just before `j` is a key: a colon follows it. */
function isKey(b: Buffer, j: number): boolean {
  for (;;) {
    const c = b[j++];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return c === COLON;
  }
}

const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;
const ESCAPED = new Uint8Array(256);
for (const c of '"\\/bfnrtu') ESCAPED[c.charCodeAt(0)] = 1;

/**
 * Whether the bytes from `i` to `end` are a JSON string's contents (between its quotes), as JSON.parse reads them: no
 * byte below 0x20, and a backslash only before one of `"\\/bfnrt`, or `u` and four hex digits. Read a word (four
 * bytes) at a time while a word holds neither: one test finds both. No string is made of them.
 */
function validContent(b: Buffer, i: number, end: number): boolean {
  const base = b.byteOffset;
  const words = new Int32Array(b.buffer, 0, b.buffer.byteLength >>> 2);
  const lastWord = (base + end) >>> 2; // the words wholly before `end` come before this one
  while (i < end) {
    if (((base + i) & 3) === 0) {
      let q = (base + i) >>> 2;
      for (; q < lastWord; q++) {
        const w = words[q];
        const x = w ^ 0x5c5c5c5c;
        // A byte below 0x20 in w, or a zero byte in x (a backslash in w): the has-less-than test on the whole word.
        if (((((w - 0x20202020) | 0) & ~w) | (((x - 0x01010101) | 0) & ~x)) & 0x80808080) break;
      }
      i = q * 4 - base;
      if (i >= end) return true;
    }
    const c = b[i];
    if (c < 0x20) return false;
    if (c !== BACKSLASH) {
      i++;
      continue;
    }
    const e = b[i + 1];
    if (i + 2 > end || ESCAPED[e] === 0) return false;
    if (e !== 0x75) {
      i += 2;
      continue;
    }
    if (i + 6 > end || !(HEX[b[i + 2]] & HEX[b[i + 3]] & HEX[b[i + 4]] & HEX[b[i + 5]])) return false;
    i += 6;
  }
  return true;
}
