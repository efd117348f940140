/** The headers of an upstream answer that the gateway uses: the first value of each, as sent (latin1). */
export interface UpstreamHeaders {
  contentType?: string;
  contentEncoding?: string;
  retryAfter?: string;
}

const CONTENT_TYPE = Buffer.from('content-type');
const CONTENT_ENCODING = Buffer.from('content-encoding');
const RETRY_AFTER = Buffer.from('retry-after');

/**
 * Reads the three headers the gateway uses from undici's raw [name, value, ...] list, by name length and bytes,
 * converting only their values to strings. undici's parseHeaders turns every name and value of the answer into a
 * string of an object that would then be read for these three.
 */
export function pickUpstreamHeaders(raw: readonly Buffer[]): UpstreamHeaders {
  const out: UpstreamHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    const len = name.length;
    if (len === 12) {
      if (out.contentType === undefined && nameIs(name, CONTENT_TYPE)) out.contentType = raw[i + 1].toString('latin1');
    } else if (len === 16) {
      if (out.contentEncoding === undefined && nameIs(name, CONTENT_ENCODING))
        out.contentEncoding = raw[i + 1].toString('latin1');
    } else if (len === 11) {
      if (out.retryAfter === undefined && nameIs(name, RETRY_AFTER)) out.retryAfter = raw[i + 1].toString('latin1');
    }
  }
  return out;
}

/** `name` equals the lower-case `expected` of the same length, in any case (ASCII letters only are folded). */
function nameIs(name: Buffer, expected: Buffer): boolean {
  for (let k = 0; k < expected.length; k++) {
    const c = name[k];
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== expected[k]) return false;
  }
  return true;
}
