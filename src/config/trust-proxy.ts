import { isIP } from 'node:net';

/**
 * `general_settings.trust_proxy`, as Fastify's `trustProxy` takes it: which peers' `X-Forwarded-For` names the client
 * (`request.ip`, which the per-address limit of failed credentials counts by). `false` (default): the connection's
 * peer is the client. `true`: the left-most forwarded address, whoever sent it. Addresses or CIDR ranges (a list,
 * or one comma-separated string): only those peers are believed, and the client is the nearest address that is not
 * one of them (`loopback`, `linklocal`, `uniquelocal` name their ranges). No hop count: Fastify trusts nothing for
 * one, since a count cannot tell the proxy from a client that sends enough hops itself.
 */
export type TrustProxy = boolean | readonly string[];

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** The setting as Fastify takes it: lists split, entries trimmed. */
export function trustProxyOf(value: boolean | string | readonly string[] | undefined): TrustProxy {
  if (value === undefined) return false;
  if (typeof value === 'boolean') return value;
  const list = typeof value === 'string' ? value.split(',') : value;
  return list.map((s) => s.trim()).filter((s) => s !== '');
}

/** Why an entry is not an address, a CIDR range or a named range (null: it is one). */
export function trustProxyEntryProblem(entry: string): string | null {
  const e = entry.trim();
  if (NAMED_RANGES.has(e)) return null;
  const [addr, bits, extra] = e.split('/');
  const family = isIP(addr);
  if (family === 0 || extra !== undefined) return `${JSON.stringify(e)} is not an IP address or CIDR range`;
  if (bits === undefined) return null;
  const max = family === 4 ? 32 : 128;
  const n = /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  return n >= 0 && n <= max ? null : `${JSON.stringify(e)} has a prefix length outside 0..${max}`;
}
