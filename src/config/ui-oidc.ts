import { z } from 'zod';
import type { ConfigProblem } from './config.error';

const DISCOVERY_PATH = '/.well-known/openid-configuration';
const KEY_PATH = 'general_settings.ui_oidc';

/**
 * `general_settings.ui_oidc`: the admin UI signs people in through the OpenID provider with the authorization code
 * flow and PKCE, as a public client (no secret: the page cannot keep one).
 */
export const uiOidcSchema = z
  .object({
    client_id: z.string({ error: 'is required (the public client registered for the UI)' }).min(1, 'is required'),
    discovery_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    scopes: z
      .array(z.string().min(1).regex(/^\S+$/, 'is one scope: no spaces'))
      .min(1)
      .refine((s) => s.includes('openid'), { error: 'must include openid (the sign-in is OpenID Connect)' })
      .default(['openid']),
  })
  .strict();

export type UiOidcSettings = z.output<typeof uiOidcSchema>;

/** The UI's sign-in through the OpenID provider, resolved at start. */
export interface UiOidcConfig {
  readonly clientId: string;
  /** The provider's discovery document: its endpoints are read from there. */
  readonly discoveryUrl: string;
  readonly scopes: readonly string[];
}

/**
 * Resolves `ui_oidc` against the JWT settings: the tokens the UI gets must be ones the gateway accepts, so JWT auth
 * must be on; without `discovery_url`, the provider is the one the gateway already trusts (a discovery document in
 * JWT_PUBLIC_KEY_URL, else the issuer's). Each problem names what to set.
 */
export function resolveUiOidc(
  settings: UiOidcSettings | undefined,
  jwt: { enabled: boolean; publicKeyUrls: readonly string[]; issuer?: readonly string[]; teamIdField: string },
  source: string,
  problems: ConfigProblem[],
  warnings: string[],
): UiOidcConfig | undefined {
  if (settings === undefined) return undefined;
  const problem = (keyPath: string, text: string) => problems.push({ source, keyPath, problem: text });
  // A token the UI gets names the UI's client in client_id/azp: read as the team, it would put everyone in one team.
  if (jwt.teamIdField === 'client_id' || jwt.teamIdField === 'azp')
    warnings.push(
      `${source}: ${KEY_PATH}: litellm_jwtauth.team_id_jwt_field is ${jwt.teamIdField}: whoever signs in to the UI ` +
        `without an admin scope or mapped role acts as team "${settings.client_id}"; name a claim of the person instead`,
    );
  if (!jwt.enabled)
    problem(
      KEY_PATH,
      'needs general_settings.enable_jwt_auth: true (the UI calls the API with the token the provider issues)',
    );
  const discoveryUrl = settings.discovery_url ?? defaultDiscovery(jwt);
  if (typeof discoveryUrl !== 'string') {
    problem(`${KEY_PATH}.discovery_url`, `is required: ${discoveryUrl.why}`);
    return undefined;
  }
  return { clientId: settings.client_id, discoveryUrl, scopes: settings.scopes };
}

function defaultDiscovery(jwt: {
  publicKeyUrls: readonly string[];
  issuer?: readonly string[];
}): string | { why: string } {
  const documents = jwt.publicKeyUrls.filter((u) => u.replace(/\/+$/, '').endsWith(DISCOVERY_PATH));
  if (documents.length === 1) return documents[0];
  if (documents.length > 1) return { why: 'JWT_PUBLIC_KEY_URL names several discovery documents: say which one' };
  if (jwt.issuer?.length === 1) return `${jwt.issuer[0].replace(/\/+$/, '')}${DISCOVERY_PATH}`;
  return {
    why: `JWT_PUBLIC_KEY_URL is no OpenID discovery document (…${DISCOVERY_PATH}) and no single JWT issuer is set`,
  };
}
