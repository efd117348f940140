import type { SpendLogRow } from './spend-log-row';

/** The columns of a spend log row in the order `toCopyText` writes them. */
export const COPY_COLUMNS = [
  'id',
  'request_id',
  'call_type',
  'api_key',
  'key_alias',
  'team_id',
  'user',
  'end_user',
  'model',
  'model_id',
  'api_base',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'spend',
  'start_time',
  'end_time',
  'completion_start_time',
  'status',
  'status_code',
  'request_tags',
] as const;

export const COPY_ROWS = `COPY "spend_logs" (${COPY_COLUMNS.map((c) => `"${c}"`).join(', ')}) FROM STDIN`;

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
/** The letter after the backslash of an escaped byte, by byte (0: written as it is). */
const ESCAPE_LETTER = new Uint8Array(128);
ESCAPE_LETTER[0x5c] = 0x5c; // \
ESCAPE_LETTER[0x09] = 0x74; // t
ESCAPE_LETTER[0x0a] = 0x6e; // n
ESCAPE_LETTER[0x0d] = 0x72; // r
const BACKSLASH = 0x5c;
const TAB = 0x09;
const NEWLINE = 0x0a;
/** Room reserved per row before its fields are written; a row that needs more grows the buffer. */
const ROW_BYTES = 320;

/**
 * Rows written as bytes straight into one buffer, each string escaped in the same pass that copies it: no
 * intermediate strings to concatenate, then flatten to write.
 */
class CopyWriter {
  buf: Buffer;
  pos = 0;

  constructor(bytes: number) {
    this.buf = Buffer.allocUnsafe(bytes);
  }

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A string, escaped; a string with a character beyond ASCII is escaped as text and encoded as UTF-8. */
  text(v: string): void {
    this.room(v.length * 2);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < v.length; i++) {
      const c = v.charCodeAt(i);
      if (c >= 0x80) {
        this.pos = pos;
        const rest = v.slice(i).replace(/[\\\t\n\r]/g, (ch) => ESCAPES[ch]);
        this.room(rest.length * 3);
        this.pos += this.buf.write(rest, this.pos, 'utf8');
        return;
      }
      const letter = ESCAPE_LETTER[c];
      if (letter !== 0) {
        buf[pos++] = BACKSLASH;
        buf[pos++] = letter;
      } else buf[pos++] = c;
    }
    this.pos = pos;
  }

  /** A string the gateway made of ASCII letters, digits and punctuation only: copied as it is. */
  plain(v: string): void {
    this.room(v.length);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < v.length; i++) buf[pos++] = v.charCodeAt(i);
    this.pos = pos;
  }

  orNull(v: string | null): void {
    if (v === null) this.plain('\\N');
    else this.text(v);
  }

  /** A number; whole non-negative ones digit by digit, others as JavaScript writes them (PostgreSQL reads both). */
  num(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) return this.plain(String(n));
    this.room(16);
    if (n === 0) {
      this.buf[this.pos++] = 0x30;
      return;
    }
    let digits = 0;
    for (let m = n; m > 0; m = Math.floor(m / 10)) digits++;
    let pos = this.pos + digits;
    this.pos = pos;
    for (let m = n; m > 0; m = Math.floor(m / 10)) this.buf[--pos] = 0x30 + (m % 10);
  }

  /** An ISO-8601 instant: its whole second formatted once per second (V8's own Date formatting is costly). */
  instant(ms: number): void {
    this.room(24);
    const second = Math.floor(ms / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      lastPrefix = new Date(second * 1000).toISOString().slice(0, 20); // "YYYY-MM-DDTHH:MM:SS."
    }
    const frac = ms - second * 1000;
    this.plain(lastPrefix);
    const buf = this.buf;
    buf[this.pos++] = 0x30 + Math.floor(frac / 100);
    buf[this.pos++] = 0x30 + (Math.floor(frac / 10) % 10);
    buf[this.pos++] = 0x30 + (frac % 10);
    buf[this.pos++] = 0x5a; // Z
  }

  tab(): void {
    this.room(1);
    this.buf[this.pos++] = TAB;
  }
}

let lastSecond = NaN;
let lastPrefix = '';

/** A text[] literal: every element quoted, its quotes and backslashes escaped (then escaped again for COPY). */
function array(tags: readonly string[]): string {
  if (tags.length === 0) return '{}';
  return `{${tags.map((t) => `"${t.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/**
 * Rows as the body of `COPY ... FROM STDIN` (text format, one line a row). Written as they are: the row id (hex and
 * base 36), the key's hash (hex), the call type and status (fixed words).
 */
export function toCopyData(rows: readonly SpendLogRow[]): Buffer {
  const w = new CopyWriter(rows.length * ROW_BYTES);
  for (const r of rows) {
    w.plain(r.id);
    w.tab();
    w.text(r.requestId);
    w.tab();
    w.plain(r.callType);
    w.tab();
    w.plain(r.apiKey ?? '\\N');
    w.tab();
    w.orNull(r.keyAlias);
    w.tab();
    w.orNull(r.teamId);
    w.tab();
    w.orNull(r.user);
    w.tab();
    w.orNull(r.endUser);
    w.tab();
    w.text(r.model);
    w.tab();
    w.orNull(r.modelId);
    w.tab();
    w.orNull(r.apiBase);
    w.tab();
    w.num(r.promptTokens);
    w.tab();
    w.num(r.completionTokens);
    w.tab();
    w.num(r.promptTokens + r.completionTokens);
    w.tab();
    w.num(r.spend);
    w.tab();
    w.instant(r.startTime);
    w.tab();
    w.instant(r.endTime);
    w.tab();
    if (r.completionStartTime === null) w.plain('\\N');
    else w.instant(r.completionStartTime);
    w.tab();
    w.plain(r.status);
    w.tab();
    w.num(r.statusCode);
    w.tab();
    if (r.requestTags.length === 0) w.plain('{}');
    else w.text(array(r.requestTags));
    w.room(1);
    w.buf[w.pos++] = NEWLINE;
  }
  return w.buf.subarray(0, w.pos);
}
