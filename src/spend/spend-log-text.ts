import { ColumnMemo } from './spend-log-columns';
import { EncodedRows } from './spend-log-encoded';
import type { SpendLogRow } from './spend-log-row';

/** Room for a row's numbers, times and fixed words; strings are counted on top (3 bytes a UTF-16 unit). */
const FIXED_ROOM = 256;

/**
 * Spend log rows for a store that does not speak COPY (the embedded store): each row as a line of COPY's text format,
 * written into the buffer as it comes, the whole sent as one parameter that the store splits on tabs and line feeds
 * (`PLAIN_ROWS_INSERT`). A row with a character that text format would have to escape (a tab, line break or backslash
 * in a client's string) is kept as a row instead, for the JSON statement: rare, and the split needs no decoding.
 */
export class TextRows extends EncodedRows {
  private readonly kept: SpendLogRow[] = [];
  private keptFirst = 0;

  constructor(capacity = 1 << 19) {
    super(capacity);
  }

  override get size(): number {
    return super.size + this.kept.length - this.keptFirst;
  }

  add(r: SpendLogRow): void {
    const line = plainLine(r);
    if (line === undefined) {
      this.kept.push(r);
      this.noteDay(r.startTime);
      return;
    }
    this.ensure(FIXED_ROOM + 3 * line.length);
    this.off += this.buf.write(line, this.off);
    this.endRow(r.startTime);
  }

  override reset(): void {
    super.reset();
    this.kept.length = 0;
    this.keptFirst = 0;
  }

  /** The lines go first (rows needing an escape are few), then the rows kept. */
  override dropOldest(n: number): void {
    const lines = Math.min(n, super.size);
    super.dropOldest(lines);
    this.keptFirst = Math.min(this.kept.length, this.keptFirst + n - lines);
  }

  /**
   * The lines held, as the bytes of one text parameter (the driver sends a Buffer in binary format, which for text is
   * its UTF-8 bytes: no decoding into a string and encoding back); empty when none.
   */
  lines(): Buffer {
    return this.held();
  }

  /** The rows that need the JSON statement. */
  rows(): readonly SpendLogRow[] {
    return this.keptFirst === 0 ? this.kept : this.kept.slice(this.keptFirst);
  }
}

/** Whether `v` holds a character COPY's text format gives a meaning to (backslash, tab, line feed, carriage return). */
function special(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 92 || c === 9 || c === 10 || c === 13) return true;
  }
  return false;
}

/** A text[] literal: every element quoted, its quotes and backslashes escaped (a backslash sends the row to JSON). */
function array(tags: readonly string[]): string {
  if (tags.length === 0) return '{}';
  return `{${tags.map((t) => `"${t.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

/** ISO-8601 instants; the whole second is formatted once per second (V8's own Date formatting is costly). */
let lastSecond = NaN;
let lastPrefix = '';
function instant(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  const frac = ms - second * 1000;
  return `${lastPrefix}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
}

const orNull = (v: string | null) => (v === null ? '\\N' : v);

/** The caller's and deployment's columns as text, or undefined when a value would need an escape. */
const columns = new ColumnMemo<string | undefined>(
  (r) => {
    const values = [r.callType, r.apiKey, r.keyAlias, r.teamId, r.user, r.endUser];
    return values.some((v) => v !== null && special(v)) ? undefined : values.map(orNull).join('\t');
  },
  (r) =>
    special(r.model) || special(r.modelId ?? '') || special(r.apiBase ?? '')
      ? undefined
      : `${r.model}\t${orNull(r.modelId)}\t${orNull(r.apiBase)}`,
);

/** One row as a line of COPY's text format, or undefined when a field would need an escape. */
function plainLine(r: SpendLogRow): string | undefined {
  const caller = columns.caller(r);
  const deployment = columns.deployment(r);
  const tags = array(r.requestTags);
  if (caller === undefined || deployment === undefined || special(r.requestId) || special(tags)) return undefined;
  return (
    `${r.id}\t${r.requestId}\t${caller}\t${deployment}\t${r.promptTokens}\t${r.completionTokens}\t` +
    `${r.promptTokens + r.completionTokens}\t${r.spend}\t${instant(r.startTime)}\t${instant(r.endTime)}\t` +
    `${r.completionStartTime === null ? '\\N' : instant(r.completionStartTime)}\t${r.status}\t${r.statusCode}\t` +
    `${tags}\n`
  );
}
