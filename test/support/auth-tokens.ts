import { constants, createHmac, sign, type KeyObject } from 'node:crypto';

/** Builds JWTs by hand for tests, including ones no provider would issue (forged, expired, odd headers). */
export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

export type ForgeAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA' | 'HS256' | 'none';

/**
 * Signs `payload` with `header` (whose `alg` is set from `alg` unless the header gives one). `key` is a private
 * KeyObject for RS/PS/ES/EdDSA, the secret (string or Buffer) for HS256, and ignored for `none`.
 */
export function signJwt(
  alg: ForgeAlg,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key?: KeyObject | string | Buffer,
): string {
  const input = `${b64url({ alg, ...header })}.${b64url(payload)}`;
  const data = Buffer.from(input);
  let sig: Buffer;
  switch (alg) {
    case 'none':
      return `${input}.`;
    case 'HS256':
      sig = createHmac('sha256', key as string | Buffer)
        .update(data)
        .digest();
      break;
    case 'RS256':
      sig = sign('sha256', data, key as KeyObject);
      break;
    case 'PS256':
      sig = sign('sha256', data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
      break;
    case 'ES256':
      sig = sign('sha256', data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
      break;
    case 'EdDSA':
      sig = sign(null, data, key as KeyObject);
      break;
  }
  return `${input}.${sig.toString('base64url')}`;
}

export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

/** The claims a client-credentials access token of `clientId` carries, for hand-made tokens. */
export function standardClaims(
  issuer: string,
  audience: string,
  clientId: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = nowSec();
  return {
    iss: issuer,
    aud: audience,
    sub: clientId,
    client_id: clientId,
    iat: now,
    exp: now + 600,
    jti: `${now}-${Math.random()}`,
    ...extra,
  };
}
