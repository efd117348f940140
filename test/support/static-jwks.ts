import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signJwt, standardClaims } from './auth-tokens';

/**
 * A JWKS endpoint serving one RS256 key, for tests that need JWTs without a whole provider (or a JWKS that is slow
 * on purpose: `delayMs` before each answer). `token` signs access tokens of a client (the team) with that key.
 */
export interface StaticJwks {
  readonly url: string;
  readonly issuer: string;
  readonly audience: string;
  /** When the last JWKS answer was sent (0: none yet). */
  readonly answeredAt: number;
  token(clientId: string, extra?: Record<string, unknown>): string;
  close(): Promise<void>;
}

export async function startStaticJwks(
  opts: { delayMs?: number; issuer?: string; audience?: string } = {},
): Promise<StaticJwks> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const issuer = opts.issuer ?? 'https://idp.static-jwks.test';
  const audience = opts.audience ?? 'llm-gateway';
  let answeredAt = 0;
  const server: Server = createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }] }),
      );
      answeredAt = Date.now();
    }, opts.delayMs ?? 0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sign = (key: KeyObject, clientId: string, extra: Record<string, unknown>) =>
    signJwt('RS256', { kid: 'k1', typ: 'JWT' }, standardClaims(issuer, audience, clientId, extra), key);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    issuer,
    audience,
    get answeredAt() {
      return answeredAt;
    },
    token: (clientId, extra = {}) => sign(privateKey, clientId, extra),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
