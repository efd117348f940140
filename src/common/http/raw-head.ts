import type { ServerResponse } from 'node:http';
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
 * Node's own record of an answer's headers (its internal `kOutHeaders`: lower-case name -> [name, value]), found
 * once on the first response; undefined when this Node has none (then every answer takes `rawHead`).
 */
let outHeaders: symbol | undefined | null = null;

function outHeadersOf(res: ServerResponse): symbol | undefined {
  if (outHeaders === null) {
    const found = Object.getOwnPropertySymbols(res).find((s) => s.description === 'kOutHeaders');
    outHeaders = found !== undefined && (res as unknown as Record<symbol, unknown>)[found] === null ? found : undefined;
  }
  return outHeaders;
}

/** Header names already checked (a fixed set in practice: the gateway's own and Fastify's). */
const checkedNames = new Set<string>();
const MAX_CHECKED_NAMES = 256;
/** RFC 9110's token, as Node checks a header name. */
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;

/** As Node checks a header value: tab, visible ASCII, space, and bytes 0x80-0xff (a loop: no regex call per value). */
function validValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 ? c !== 9 : c === 0x7f || c > 0xff) return false;
  }
  return true;
}

/** A valid header name, in lower case (the key Node records a header under). */
function validName(name: string): boolean {
  if (checkedNames.has(name)) return true;
  if (!TOKEN.test(name) || name.toLowerCase() !== name) return false;
  if (checkedNames.size < MAX_CHECKED_NAMES) checkedNames.add(name);
  return true;
}

/**
 * Writes the status and headers (the reply's, then `own` and the `lastName: lastValue` pair) to the raw response
 * with the same checks Node makes, made here more cheaply: names once each, values by a loop instead of a regex
 * call each. The headers then go in as Node's own record of set headers, which it writes without checking them
 * again. Anything unusual (a repeated name, a list value, a header that fails the checks) is left to Node's
 * `writeHead` as it was, which refuses it with its own error.
 */
export function writeRawHead(
  reply: FastifyReply,
  status: number,
  own: readonly string[],
  lastName?: string,
  lastValue?: string,
): void {
  const res = reply.raw;
  const sym = outHeadersOf(res);
  const out =
    sym !== undefined && (res as unknown as Record<symbol, unknown>)[sym] === null ? checked(reply, own) : null;
  if (out !== null && (lastName === undefined || add(out, lastName, lastValue!))) {
    (res as unknown as Record<symbol, unknown>)[sym!] = out;
    res.writeHead(status);
    return;
  }
  const head = rawHead(reply, own);
  if (lastName !== undefined) head.push(lastName, lastValue!);
  res.writeHead(status, head);
}

type OutHeaders = Record<string, [string, string]>;

/** The reply's headers and `own` as Node records set headers; null when any of them must go through Node's checks. */
function checked(reply: FastifyReply, own: readonly string[]): OutHeaders | null {
  // Node's own form: no prototype (a header named `__proto__` or `constructor` is only a name), fast properties.
  const out = { __proto__: null } as unknown as OutHeaders;
  const headers = reply.getHeaders();
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || hasName(own, name)) continue;
    if (typeof value !== 'string' && typeof value !== 'number') return null;
    if (!add(out, name, String(value))) return null;
  }
  for (let i = 0; i < own.length; i += 2) if (!add(out, own[i], own[i + 1])) return null;
  return out;
}

/** Adds `name` once; false when it repeats, is not lower-case or fails Node's checks. */
function add(out: OutHeaders, name: string, value: string): boolean {
  if (typeof value !== 'string' || out[name] !== undefined || !validName(name) || !validValue(value)) return false;
  out[name] = [name, value];
  return true;
}

/**
 * Writes a whole answer straight to the raw response, past Fastify's send (which parses the content type again,
 * probes the payload's kind and sets each header through a dictionary): status, the reply's headers plus `own`,
 * Content-Length, body. Fastify's onResponse hooks (access log, metrics) still run when the response finishes.
 */
export function sendRaw(reply: FastifyReply, status: number, own: readonly string[], body: Buffer): void {
  reply.hijack();
  writeRawHead(reply, status, own, 'content-length', String(body.length));
  reply.raw.end(body);
}
