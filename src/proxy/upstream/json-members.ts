/** One member of a JSON object's top level, as byte offsets into its text. */
export interface JsonMember {
  /** Its place among the members (0 first). */
  readonly index: number;
  /** Where its key's opening quote is. */
  readonly start: number;
  /** Just after its value. */
  readonly end: number;
}

/** Nesting deeper than this is left to JSON.stringify, which refuses what it cannot write (a 400 for the client). */
export const MAX_RAW_DEPTH = 1000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** Inside a string, quotes are looked for byte by byte up to this far, then by the native search. */
const NEAR = 64;

/**
 * The top-level members of a JSON object text that JSON.parse has already accepted, by key (the key as JSON.parse
 * reads it). Null when the text is anything else to this scan: not an object (a byte order mark included), a key
 * given twice (JSON.parse keeps the last, an upstream might keep the first), or nesting past MAX_RAW_DEPTH. One pass
 * over the bytes; string contents are skipped with a native search.
 */
export function jsonMembers(b: Buffer): Map<string, JsonMember> | null {
  const members = new Map<string, JsonMember>();
  let i = skipSpace(b, 0);
  if (b[i] !== OPEN_OBJECT) return null;
  i = skipSpace(b, i + 1);
  if (b[i] === CLOSE_OBJECT) return members;
  for (let index = 0; ; index++) {
    if (b[i] !== QUOTE) return null;
    const start = i;
    i = stringEnd(b, i);
    const key = keyOf(b, start, i);
    i = skipSpace(b, i);
    if (b[i] !== COLON) return null;
    i = skipSpace(b, i + 1);
    const c = b[i];
    i = c === QUOTE ? stringEnd(b, i) : c === OPEN_OBJECT || c === OPEN_ARRAY ? containerEnd(b, i) : literalEnd(b, i);
    if (i < 0 || members.has(key)) return null;
    members.set(key, { index, start, end: i });
    i = skipSpace(b, i);
    if (b[i] === CLOSE_OBJECT) return members;
    if (b[i] !== COMMA) return null;
    i = skipSpace(b, i + 1);
  }
}

function keyOf(b: Buffer, start: number, end: number): string {
  for (let k = start + 1; k < end - 1; k++)
    if (b[k] === BACKSLASH) return JSON.parse(b.toString('utf8', start, end)) as string;
  return b.toString('utf8', start + 1, end - 1);
}

function skipSpace(b: Buffer, i: number): number {
  for (;;) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i++;
  }
}

/** Just after the closing quote of the string whose opening quote is at `i` (-1: none). */
export function stringEnd(b: Buffer, i: number): number {
  let j = i + 1;
  const near = Math.min(b.length, j + NEAR);
  while (j < near) {
    const c = b[j];
    if (c === QUOTE) return j + 1;
    j += c === BACKSLASH ? 2 : 1;
  }
  for (;;) {
    const q = b.indexOf(QUOTE, j);
    if (q < 0) return -1;
    // Escaped when an odd run of backslashes comes right before it.
    let k = q - 1;
    while (b[k] === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** Just after the array or object that opens at `i` (-1: deeper than MAX_RAW_DEPTH, or not closed). */
function containerEnd(b: Buffer, i: number): number {
  let depth = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c === QUOTE) {
      i = stringEnd(b, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > MAX_RAW_DEPTH) return -1;
    } else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && --depth === 0) return i + 1;
    i++;
  }
  return -1;
}

/** Just after a number, `true`, `false` or `null` starting at `i`. */
function literalEnd(b: Buffer, i: number): number {
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c === COMMA || c === CLOSE_OBJECT || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) return i;
    i++;
  }
  return -1;
}
