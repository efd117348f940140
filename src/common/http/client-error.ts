import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { openAIError } from '../errors/error-body';

/**
 * Errors Node's HTTP parser raises before a request exists (headers over 16 KB, a CR/LF/NUL in a header value,
 * a malformed request line, a client that never finishes its headers): answered on the raw socket in the OpenAI
 * error shape, then the connection is closed. Replaces Fastify's default, whose body is `{"error": "<text>", ...}`.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody to answer (Node's own handler does the same).
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = describe(err.code);
  answerAndClose(socket, status, code, message);
}

/**
 * A CONNECT request (open a tunnel): Node gives it to `connect` listeners only, and without one closes the
 * connection unanswered. The gateway is no forward proxy: 405 in the OpenAI error shape.
 */
export function refuseConnect(_req: unknown, socket: Duplex): void {
  answerAndClose(socket, 405, 'method_not_allowed', 'CONNECT is not supported: the gateway is not a forward proxy');
}

function answerAndClose(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.writable) {
    const body = openAIError(status, message, code);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function describe(code: string | undefined): [number, string, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'headers_too_large', 'Request headers are too large (at most 16 KB in total)'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'request_timeout', 'The request was not received in time'];
    case 'HPE_INVALID_HEADER_TOKEN':
    case 'HPE_LF_EXPECTED':
    case 'HPE_CR_EXPECTED':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return [400, 'invalid_header', 'Malformed request header (a header name or value holds a forbidden character)'];
    default:
      return [400, 'invalid_request', 'Malformed HTTP request'];
  }
}
