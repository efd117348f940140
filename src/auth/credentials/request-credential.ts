import type { IncomingHttpHeaders } from 'node:http';
import { sha256Hex } from '../../common/crypto/sha256';
import { extractCredential } from './credential';

/** Where the guard leaves the hex SHA-256 of the request's credential, so no strategy hashes it again. */
export const CREDENTIAL_DIGEST = Symbol('gateway.credentialDigest');

export interface CredentialCarrier {
  readonly headers: IncomingHttpHeaders;
  [CREDENTIAL_DIGEST]?: string | null;
}

/** The hex SHA-256 of the request's credential (left by the guard, or computed), or null when it has none. */
export function requestDigest(req: CredentialCarrier): string | null {
  const known = req[CREDENTIAL_DIGEST];
  if (known) return known;
  const token = extractCredential(req.headers);
  return token === undefined ? null : sha256Hex(token);
}
