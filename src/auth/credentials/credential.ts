import type { IncomingHttpHeaders } from 'node:http';

/** The three ways a caller authenticates, named as their Passport strategies. */
export type CredentialKind = 'master-key' | 'virtual-key' | 'jwt';

/** "bearer", as char codes: the scheme is compared case-insensitively by OR-ing 0x20 into each letter. */
const BEARER = [0x62, 0x65, 0x61, 0x72, 0x65, 0x72];

/**
 * The credential of a request: `x-litellm-api-key: <token>` first, as LiteLLM reads it (the header of clients whose
 * Authorization carries a provider's token), else `Authorization: Bearer <token>`, else `api-key: <token>` (Azure
 * clients), else `x-api-key: <token>` (Anthropic clients). An Authorization header with another scheme is not a
 * credential.
 */
export function extractCredential(headers: IncomingHttpHeaders): string | undefined {
  const own = headerValue(headers['x-litellm-api-key']);
  if (own !== undefined) return own;
  const auth = headers.authorization;
  if (auth !== undefined && isBearer(auth)) {
    const token = auth.slice(BEARER.length + 1).trim();
    if (token) return token;
  }
  return headerValue(headers['api-key']) ?? headerValue(headers['x-api-key']);
}

/** `Bearer` in any case, then a space or tab (what `/^Bearer[ \t]/i` matches, without a regex run per request). */
function isBearer(auth: string): boolean {
  if (auth.length <= BEARER.length) return false;
  for (let i = 0; i < BEARER.length; i++) if ((auth.charCodeAt(i) | 0x20) !== BEARER[i]) return false;
  const gap = auth.charCodeAt(BEARER.length);
  return gap === 0x20 || gap === 0x09;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const token = value.trim();
  return token || undefined;
}

/**
 * Compares two SHA-256 digests. A plain comparison: how long it takes tells at most where a digest of the caller's
 * own token differs from the master key's digest, which does not help find the master key (that needs a preimage).
 */
export function digestsEqual(a: string, b: string): boolean {
  return a === b;
}

/** Three dot-separated parts with non-empty header and payload (the signature part may be empty: `alg: none`). */
export function looksLikeJwt(token: string): boolean {
  return signatureStart(token) !== -1;
}

/** Where the signature part of a JWT-shaped token starts (see looksLikeJwt), or -1 when the token is not one. */
export function signatureStart(token: string): number {
  const first = token.indexOf('.');
  if (first <= 0) return -1;
  const second = token.indexOf('.', first + 1);
  return second > first + 1 && token.indexOf('.', second + 1) === -1 ? second + 1 : -1;
}

export interface ClassifyOptions {
  /** Hex SHA-256 of the master key, or null when none is configured. */
  readonly masterDigest: string | null;
  readonly jwtEnabled: boolean;
}

/**
 * In order: the master key (compared by digest, in constant time); `sk-...` a virtual key;
 * three dot-separated parts a JWT when JWT auth is enabled; anything else is no valid credential (null).
 */
export function classifyCredential(token: string, digest: string, opts: ClassifyOptions): CredentialKind | null {
  if (opts.masterDigest !== null && digestsEqual(digest, opts.masterDigest)) return 'master-key';
  if (token.startsWith('sk-')) return 'virtual-key';
  if (opts.jwtEnabled && looksLikeJwt(token)) return 'jwt';
  return null;
}
