import { isAllowedAlgorithm } from './jwt-algorithms';
import { JwtRejection } from './jwt-rejection';

/** The parts of a JWS protected header the gateway acts on. */
export interface JoseHeader {
  readonly alg: string;
  readonly kid?: string;
}

const B64URL = /^[A-Za-z0-9_-]+$/;
const SYMMETRIC = /^HS\d+$/i;

/**
 * Parses and checks a JWT's protected header before any key is looked up: the algorithm must be an
 * allowed asymmetric one (`none` and HS* are refused by name), and a `crit` header is refused since the gateway
 * implements no JWS extension. Key-carrying headers (`jwk`, `jku`, `x5u`, `x5c`) are never used: keys come only
 * from the configured JWKS.
 */
export function parseJoseHeader(token: string): JoseHeader {
  const dot = token.indexOf('.');
  const { alg, kid, crit } = jsonObjectSegment(dot > 0 ? token.slice(0, dot) : '', 'header');
  if (typeof alg !== 'string') throw new JwtRejection('Invalid JWT: header has no "alg"');
  if (alg.toLowerCase() === 'none') throw new JwtRejection('Invalid JWT: unsigned tokens (alg "none") are refused');
  if (SYMMETRIC.test(alg))
    throw new JwtRejection(
      `Invalid JWT: symmetric algorithm ${alg} is refused; only RS*, PS*, ES* and EdDSA are accepted`,
    );
  if (!isAllowedAlgorithm(alg))
    throw new JwtRejection(`Invalid JWT: algorithm ${JSON.stringify(alg.slice(0, 20))} is not supported`);
  if (crit !== undefined)
    throw new JwtRejection('Invalid JWT: "crit" header lists extensions the gateway does not support');
  if (kid !== undefined && typeof kid !== 'string') throw new JwtRejection('Invalid JWT: "kid" must be a string');
  return kid === undefined ? { alg } : { alg, kid };
}

/**
 * The token's claims segment must be a JSON object. jsonwebtoken reads claims off whatever JSON it decodes, and a
 * correctly signed `null` made it throw inside a promise callback (an unhandled rejection: the process exited).
 */
export function assertClaimsObject(token: string): void {
  claimsOf(token);
}

/** The token's claims, unverified (a JwtRejection when they are no JSON object). */
export function claimsOf(token: string): Record<string, unknown> {
  const first = token.indexOf('.');
  const second = first < 0 ? -1 : token.indexOf('.', first + 1);
  return jsonObjectSegment(second > first ? token.slice(first + 1, second) : '', 'claims');
}

/** A base64url token segment decoded as a JSON object, or a JwtRejection naming the `part` and what is wrong. */
function jsonObjectSegment(segment: string, part: 'header' | 'claims'): Record<string, unknown> {
  const is = part === 'claims' ? 'are' : 'is';
  if (!B64URL.test(segment)) throw new JwtRejection(`Invalid JWT: malformed ${part}`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new JwtRejection(`Invalid JWT: ${part} ${is} not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new JwtRejection(`Invalid JWT: ${part} ${is} not a JSON object`);
  return value as Record<string, unknown>;
}
