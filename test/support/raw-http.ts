import assert from 'node:assert/strict';
import { connect } from 'node:net';

/** An HTTP answer read off a raw socket: status, lower-cased headers, body text; `closed` when the server hung up. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends bytes exactly as given (a request `fetch` would refuse to build: CR/LF/NUL in a header, invalid UTF-8,
 * 20 KB of headers) and reads the first answer. Resolves when the answer is complete or the server closes.
 */
export function rawRequest(url: string, bytes: Buffer | string, timeoutMs = 15_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) return reject(err);
      const parsed = parseAnswer(buf);
      if (!parsed)
        return reject(new Error(`no complete HTTP answer: ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`));
      resolve(parsed);
    };
    const timer = setTimeout(() => finish(new Error('no answer in time')), timeoutMs);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const parsed = parseAnswer(buf);
      if (parsed && (!('transfer-encoding' in parsed.headers) || buf.subarray(-5).toString() === '0\r\n\r\n')) finish();
    });
    socket.on('close', () => finish());
    // The server may answer (431, 413) and close before it has read everything: that is not a failure here.
    socket.on('error', () => finish());
    socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

function parseAnswer(buf: Buffer): RawAnswer | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const body = buf.subarray(end + 4);
  const length = headers['content-length'];
  if (length !== undefined && body.length < Number(length)) return null;
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') };
}

/** A request as raw bytes: request line, headers (latin1, as given), body. */
export function rawHttp(method: string, path: string, headers: string[], body?: Buffer | string): Buffer {
  const b = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const head = [`${method} ${path} HTTP/1.1`, 'Host: gateway', ...headers];
  if (body !== undefined) head.push(`Content-Length: ${b.length}`);
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), b]);
}

/** The body is exactly the OpenAI error shape, with no stack trace in it. */
export function assertOpenAIError(
  text: string,
  context = '',
): { message: string; type: string; param: string | null; code: string } {
  let parsed: { error?: Record<string, unknown> };
  try {
    parsed = JSON.parse(text);
  } catch {
    assert.fail(`${context}: not JSON: ${text.slice(0, 200)}`);
  }
  assert.ok(parsed.error && typeof parsed.error === 'object', `${context}: ${text.slice(0, 200)}`);
  assert.deepEqual(Object.keys(parsed.error).sort(), ['code', 'message', 'param', 'type'], context);
  assert.equal(typeof parsed.error.message, 'string', context);
  assert.equal(typeof parsed.error.type, 'string', context);
  assert.doesNotMatch(text, /\bat .+\.(js|ts):\d+/, `${context}: no stack`);
  return parsed.error as { message: string; type: string; param: string | null; code: string };
}

/** Linux: the resident set size of a process, in bytes (from /proc). */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  assert.ok(kb, 'VmRSS in /proc/<pid>/status');
  return Number(kb[1]) * 1024;
}
