import { Errors } from '../../common/errors/gateway-error';

const EMPTY: Buffer = Buffer.alloc(0);
const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');
/** Part headers longer than this are not a form upload's. */
const MAX_PART_HEADERS = 16 * 1024;
/** A model group name is short; a longer `model` field is refused rather than held. */
const MAX_MODEL_BYTES = 1024;
const MODEL_FIELD = /^content-disposition:[^\r\n]*;\s*name=(?:"model"|model)\s*(?:;|\r|$)/im;

type Mode = 'preamble' | 'body' | 'model' | 'delimiter' | 'done';

/**
 * Reads a multipart/form-data body as it streams, without holding it: the bytes of every part pass through except
 * the `model` fields, which are taken out (the first one's value is `model`). The gateway sends its own `model` part
 * first, with the upstream's name, and then these bytes. Only a few bytes (a delimiter that may be cut across two
 * chunks, or a part's headers) wait for the next chunk.
 */
export class ModelFieldFilter {
  model: string | null = null;
  private readonly delimiter: Buffer;
  /** A virtual CRLF first, so that the first boundary reads like every other delimiter. */
  private pending: Buffer = CRLF;
  private mode: Mode = 'preamble';
  private value: Buffer[] = [];
  private valueBytes = 0;

  constructor(boundary: string) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  /** The bytes of `chunk` to send on, appended to `out`. Throws a 400 for a malformed body. */
  push(chunk: Buffer, out: Buffer[]): void {
    const d = this.delimiter;
    // Inside a part, the bytes kept back are fewer than a delimiter: unless one starts in them, they go out without
    // copying the whole chunk behind them (a large upload would otherwise be copied once more, chunk by chunk).
    if (this.pending.length && this.pending.length < d.length && chunk.length >= d.length && this.inContent()) {
      if (Buffer.concat([this.pending, chunk.subarray(0, d.length)]).indexOf(d) === -1) {
        this.content(this.pending, out);
        this.pending = EMPTY;
      }
    }
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let pos = 0;
    for (;;) {
      if (this.mode === 'done') {
        if (pos < buf.length) out.push(buf.subarray(pos));
        pos = buf.length;
        break;
      }
      if (this.mode === 'delimiter') {
        if (buf.length - pos < d.length + 2) break;
        if (buf[pos + d.length] === 0x2d && buf[pos + d.length + 1] === 0x2d) {
          this.mode = 'done'; // the closing delimiter: it and what follows go out as they are
          continue;
        }
        const end = buf.indexOf(HEADERS_END, pos + d.length);
        if (end === -1) {
          if (buf.length - pos > MAX_PART_HEADERS)
            throw Errors.badRequest('A multipart part has headers over 16 KB', null, 'invalid_multipart');
          break;
        }
        if (MODEL_FIELD.test(buf.toString('latin1', pos + d.length, end))) {
          this.mode = 'model';
        } else {
          out.push(buf.subarray(pos, end + 4));
          this.mode = 'body';
        }
        pos = end + 4;
        continue;
      }
      const at = buf.indexOf(d, pos);
      if (at === -1) {
        // The last bytes may be the start of a delimiter: they wait for the next chunk.
        const keep = Math.max(pos, buf.length - d.length + 1);
        this.content(buf.subarray(pos, keep), out);
        pos = keep;
        break;
      }
      this.content(buf.subarray(pos, at), out);
      if (this.mode === 'model') this.endModel();
      this.mode = 'delimiter';
      pos = at;
    }
    this.pending = pos < buf.length ? Buffer.from(buf.subarray(pos)) : EMPTY;
  }

  /** At the end of the body: what was still waiting goes out (a body cut short is the upstream's to judge). */
  end(out: Buffer[]): void {
    if (this.pending.length && this.mode !== 'preamble' && this.mode !== 'model') out.push(this.pending);
    this.pending = EMPTY;
  }

  private inContent(): boolean {
    return this.mode === 'body' || this.mode === 'model' || this.mode === 'preamble';
  }

  private content(piece: Buffer, out: Buffer[]): void {
    if (piece.length === 0) return;
    if (this.mode === 'body') out.push(piece);
    else if (this.mode === 'model') {
      this.valueBytes += piece.length;
      if (this.valueBytes > MAX_MODEL_BYTES)
        throw Errors.badRequest("Invalid request body: 'model' is too long", 'model', 'invalid_model_name');
      this.value.push(piece);
    }
  }

  private endModel(): void {
    this.model ??= Buffer.concat(this.value).toString('utf8');
    this.value = [];
    this.valueBytes = 0;
  }
}

/** The boundary of a multipart/form-data content type, or null. */
export function boundaryOf(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : null;
}
