import type { FastifyReply } from 'fastify';

/**
 * An answer's headers as one flat [name, value, ...] list for `res.writeHead`: `head` (the answer's own headers,
 * lower-case names) followed by the reply's own headers (those set through Fastify, such as x-request-id), except
 * those whose names `head` already has. Appended to `head` in place and returned: an answer builds one list rather
 * than a copy per step. Node stores such a list as it is; headers set one by one on the raw response (setHeader)
 * would send writeHead down its slow path, and a spread into a fresh object gets a V8 shape that full GCs drop
 * (runtime/tick-shape.ts).
 */
export function rawHead(reply: FastifyReply, head: string[]): string[] {
  const own = head.length;
  const headers = reply.getHeaders();
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || hasName(head, own, name)) continue;
    if (Array.isArray(value)) for (const v of value) head.push(name, String(v));
    else head.push(name, String(value));
  }
  return head;
}

/** Whether the first `end` entries of a [name, value, ...] list name `name`. */
function hasName(list: readonly string[], end: number, name: string): boolean {
  for (let i = 0; i < end; i += 2) if (list[i] === name) return true;
  return false;
}

/**
 * Writes a whole answer straight to the raw response, past Fastify's send (which parses the content type again,
 * probes the payload's kind and sets each header through a dictionary): status, `head` (appended to in place) with
 * Content-Length and the reply's headers, body. Fastify's onResponse hooks (access log, metrics) still run when the
 * response finishes.
 */
export function sendRaw(reply: FastifyReply, status: number, head: string[], body: Buffer): void {
  reply.hijack();
  head.push('content-length', String(body.length));
  reply.raw.writeHead(status, rawHead(reply, head));
  reply.raw.end(body);
}
