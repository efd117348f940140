/** What stands in for a secret cut out of a log line, an error message or a listed setting. */
export const REDACTED = '[REDACTED]';

/** The text with every occurrence of each secret replaced by REDACTED (in the order given; empty secrets skipped). */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

const REDACTED_BYTES = Buffer.from(REDACTED);

/**
 * `redactSecrets` on bytes, for an upstream body passed on to the caller with the deployment's own api key cut out:
 * an upstream (or a proxy in front of it) may quote the key it was sent in any error message.
 */
export function redactSecretBytes(body: Buffer, secret: string | undefined): Buffer {
  if (!secret || body.indexOf(secret) === -1) return body;
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = body.indexOf(secret); at !== -1; at = body.indexOf(secret, from)) {
    parts.push(body.subarray(from, at), REDACTED_BYTES);
    from = at + Buffer.byteLength(secret);
  }
  parts.push(body.subarray(from));
  return Buffer.concat(parts);
}

/** Every string inside a JSON-like value (objects, arrays) with the secrets redacted; other values as they are. */
export function redactDeep<T>(value: T, secrets: readonly string[]): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactSecrets(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * The configured secrets as `scrub` wants them: long enough to be secrets, longest first (a secret that contains
 * another is removed whole), each also percent-encoded, in both hex cases (as it may reach a line in a path or query).
 */
export function scrubList(secrets: readonly string[]): string[] {
  const long = secrets.filter((s) => s.length >= 4);
  const encoded = long.flatMap((s) => {
    const e = encodeURIComponent(s);
    return e === s ? [] : [e, e.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())];
  });
  return [...new Set([...long, ...encoded])].sort((a, b) => b.length - a.length);
}

const BEARER_TOKEN = /(Bearer(?:\s+|%20|\+))[A-Za-z0-9._~+/=%-]{8,}/g;
const SK_KEY = /\bsk(?:-|%2[dD])[A-Za-z0-9_%-]{8,}/g;
/** A JWT (JWS compact form): a base64url JSON header, which begins `{"` and so `eyJ`, then two more segments. */
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** Removes every configured secret, and any bearer token, JWT or `sk-` key, from a log line. */
export function scrub(line: string, secrets: readonly string[]): string {
  let out = redactSecrets(line, secrets);
  // Never logged either, wherever they appear (the regexes only run when they can match).
  if (out.includes('Bearer')) out = out.replace(BEARER_TOKEN, `$1${REDACTED}`);
  if (out.includes('eyJ')) out = out.replace(JWT, REDACTED);
  if (out.includes('sk-') || out.includes('sk%2')) out = out.replace(SK_KEY, `sk-${REDACTED}`);
  return out;
}
