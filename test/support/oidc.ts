import { generateKeyPairSync, randomUUID, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleInteraction, type InteractionProvider } from './oidc-interactions';

/**
 * A real OpenID provider for tests: `oidc-provider` (a certified implementation) on a random local port, issuing
 * client-credentials access tokens as JWTs (RFC 9068, via resource indicators). Usage:
 *
 *   const idp = await startOidcProvider({ clients: [{ clientId: 'admin', scope: 'litellm_proxy_admin' }, { clientId: 'team-a' }] });
 *   const jwt = await idp.token('admin', 'litellm_proxy_admin');   // RS256 by default; idp.token('team-a', undefined, 'ES256')
 *   ... JWT_PUBLIC_KEY_URL = idp.jwksUri (or idp.discoveryUrl) ...
 *   await idp.stop();
 */
export type SigningAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

export interface OidcClientSpec {
  clientId: string;
  /** Defaults to `<clientId>-secret`. */
  secret?: string;
  /** Space-separated scopes the client may be granted (e.g. `litellm_proxy_admin`); `read` by default. */
  scope?: string;
  /** Extra claims every access token of this client carries (roles, groups, email, team lists, nested objects). */
  claims?: Record<string, unknown>;
}

export interface OidcStartOptions {
  clients: OidcClientSpec[];
  /** The access tokens' `aud` (the resource server's audience). Default `llm-gateway`. */
  audience?: string;
  /** Access token lifetime in seconds. Default 3600. */
  accessTokenTtlSec?: number;
  /**
   * People who sign in through a browser (allowBrowserSignIn): the login name typed on the provider's login page
   * and the extra claims their access tokens carry (roles, team). Any other name signs in with no extra claim.
   */
  accounts?: Record<string, Record<string, unknown>>;
}

/** A signing key of the provider, for tests that need a token the provider would not issue (expired, bad aud). */
export interface ProviderKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly privateKey: KeyObject;
  readonly publicJwk: JsonWebKey & { kid: string };
}

export interface TestOidcProvider {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly discoveryUrl: string;
  readonly audience: string;
  /** A client-credentials access token (a JWT) from the token endpoint, signed with `alg` (default RS256). */
  token(clientId: string, scope?: string, alg?: SigningAlg): Promise<string>;
  /** New signing keys, published first in the JWKS and used from now on; the previous keys stay published. */
  rotateKeys(): Promise<void>;
  /** The current signing key for `alg`. */
  signingKey(alg?: SigningAlg): ProviderKey;
  /** How many times the JWKS endpoint has been requested. */
  jwksRequests(): number;
  /**
   * Registers a public client (no secret, PKCE) for the authorization code flow, sent back to `redirectUri`, with
   * the provider's development login and consent pages, and CORS on its endpoints for that page's origin only.
   */
  allowBrowserSignIn(clientId: string, redirectUri: string): Promise<void>;
  stop(): Promise<void>;
}

const SCOPES = ['litellm_proxy_admin', 'read', 'write'];
const ALGS: SigningAlg[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

// oidc-provider is ESM-only; keep a real dynamic import (tsc would turn `import()` into require() in CommonJS).
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- the dynamic import must survive compilation to CommonJS
const importEsm = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<{ default: new (issuer: string, config: object) => OidcProviderInstance }>;

interface OidcProviderInstance extends InteractionProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}

interface KeySet {
  rsa: { kid: string; privateKey: KeyObject; jwk: JsonWebKey & { kid: string } };
  ec: { kid: string; privateKey: KeyObject; jwk: JsonWebKey & { kid: string } };
  ed: { kid: string; privateKey: KeyObject; jwk: JsonWebKey & { kid: string } };
}

function newKeySet(): KeySet {
  const make = (kp: { privateKey: KeyObject }) => {
    const kid = randomUUID();
    return { kid, privateKey: kp.privateKey, jwk: { ...kp.privateKey.export({ format: 'jwk' }), kid, use: 'sig' } };
  };
  return {
    rsa: make(generateKeyPairSync('rsa', { modulusLength: 2048 })),
    ec: make(generateKeyPairSync('ec', { namedCurve: 'P-256' })),
    ed: make(generateKeyPairSync('ed25519')),
  };
}

function publicJwk(jwk: JsonWebKey & { kid: string }): JsonWebKey & { kid: string } {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

export async function startOidcProvider(opts: OidcStartOptions): Promise<TestOidcProvider> {
  const { default: Provider } = await importEsm('oidc-provider');
  const audience = opts.audience ?? 'llm-gateway';
  const ttl = opts.accessTokenTtlSec ?? 3600;
  const secrets = new Map(opts.clients.map((c) => [c.clientId, c.secret ?? `${c.clientId}-secret`]));
  let keySets: KeySet[] = [newKeySet()];
  const browserClients: { clientId: string; redirectUri: string }[] = [];
  let jwksCount = 0;
  let current: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  let provider: OidcProviderInstance | undefined;

  const server = createServer((req, res) => {
    if (req.url?.split('?')[0] === '/jwks') jwksCount++;
    if (provider && handleInteraction(provider, req, res)) return;
    current(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const build = () => {
    provider = new Provider(issuer, {
      clients: [
        ...opts.clients.map((c) => ({
          client_id: c.clientId,
          client_secret: secrets.get(c.clientId),
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_post',
          scope: c.scope || 'read',
        })),
        ...browserClients.map((c) => ({
          client_id: c.clientId,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          redirect_uris: [c.redirectUri],
          token_endpoint_auth_method: 'none',
          scope: 'openid read',
        })),
      ],
      clientBasedCORS: (_ctx: unknown, origin: string, client: { clientId: string }) =>
        browserClients.some((c) => c.clientId === client.clientId && new URL(c.redirectUri).origin === origin),
      findAccount: (_ctx: unknown, sub: string) => ({ accountId: sub, claims: () => ({ sub }) }),
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      scopes: SCOPES,
      jwks: { keys: keySets.flatMap((k) => [k.rsa.jwk, k.ec.jwk, k.ed.jwk]) },
      cookies: { keys: ['test-cookie-key'] },
      ttl: { ClientCredentials: () => ttl },
      extraTokenClaims: (_ctx: unknown, token: { clientId?: string; accountId?: string }) =>
        token.accountId !== undefined
          ? opts.accounts?.[token.accountId]
          : opts.clients.find((c) => c.clientId === token.clientId)?.claims,
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => `https://${audience}/RS256`,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx: unknown, resource: string) => {
            const alg = resource.slice(resource.lastIndexOf('/') + 1) as SigningAlg;
            return {
              audience,
              scope: SCOPES.join(' '),
              accessTokenFormat: 'jwt',
              accessTokenTTL: ttl,
              jwt: { sign: { alg: ALGS.includes(alg) ? alg : 'RS256' } },
            };
          },
        },
      },
    });
    current = provider.callback();
  };
  build();

  const keyFor = (alg: SigningAlg): ProviderKey => {
    const set = keySets[0];
    const k = alg === 'ES256' ? set.ec : alg === 'EdDSA' ? set.ed : set.rsa;
    return { kid: k.kid, alg, privateKey: k.privateKey, publicJwk: publicJwk(k.jwk) };
  };

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    audience,
    async token(clientId, scope, alg = 'RS256') {
      const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secrets.get(clientId) ?? '',
        resource: `https://${audience}/${alg}`,
      });
      if (scope) form.set('scope', scope);
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        body: form,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
      if (!res.ok || !body.access_token)
        throw new Error(`token endpoint answered ${res.status}: ${body.error}: ${body.error_description}`);
      return body.access_token;
    },
    async rotateKeys() {
      keySets = [newKeySet(), ...keySets];
      build();
    },
    signingKey: (alg = 'RS256') => keyFor(alg),
    jwksRequests: () => jwksCount,
    async allowBrowserSignIn(clientId, redirectUri) {
      browserClients.push({ clientId, redirectUri });
      build();
    },
    async stop() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}

/** Short name, as in `import { start } from '../support/oidc'`. */
export { startOidcProvider as start };
