import type { FastifyReply } from 'fastify';

/**
 * An answer's headers as one flat [name, value, ...] list for `res.writeHead`: the reply's own headers (those
 * set through Fastify, such as x-request-id), then `own`, whose names replace any of the reply's. Node stores
 * such a list as it is; headers set one by one on the raw response (setHeader) would send writeHead down its slow
 * path, and a spread into a fresh object gets a V8 shape that full GCs drop (runtime/tick-shape.ts).
 * `own` names are lower-case.
 */
export function rawHead(reply: FastifyReply, own: readonly string[]): string[] {
  const head: string[] = [];
  const headers = reply.getHeaders();
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || hasName(own, name)) continue;
    if (Array.isArray(value)) for (const v of value) head.push(name, String(v));
    else head.push(name, String(value));
  }
  for (let i = 0; i < own.length; i++) head.push(own[i]);
  return head;
}

function hasName(list: readonly string[], name: string): boolean {
  for (let i = 0; i < list.length; i += 2) if (list[i] === name) return true;
  return false;
}

/**
 * Writes a whole answer straight to the raw response, past Fastify's send (which parses the content type again,
 * probes the payload's kind and sets each header through a dictionary): status, the reply's headers plus `own`,
 * Content-Length, body. Fastify's onResponse hooks (access log, metrics) still run when the response finishes.
 */
export function sendRaw(reply: FastifyReply, status: number, own: readonly string[], body: Buffer): void {
  reply.hijack();
  reply.raw.writeHead(status, rawHead(reply, [...own, 'content-length', String(body.length)]));
  reply.raw.end(body);
}
