// Sign-in through the OpenID provider: authorization code with PKCE (S256), as a public client. The verifier,
// state and nonce live in sessionStorage only between leaving for the provider and coming back; the code is taken
// out of the address bar at once (history.replaceState), and exchanged at the provider's token endpoint (the one
// other origin the page's CSP lets it reach).
const PENDING = 'gateway-ui-oidc';

const b64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const random = () => b64url(crypto.getRandomValues(new Uint8Array(32)));
const redirectUri = () => `${location.origin}/ui/`;

/** Leaves for the provider's sign-in page. `oidc`: the gateway's /ui/config.json `oidc`. */
export async function startSignIn(oidc) {
  const verifier = random();
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const pending = { verifier, state: random(), nonce: random(), token_endpoint: oidc.token_endpoint };
  pending.client_id = oidc.client_id;
  sessionStorage.setItem(PENDING, JSON.stringify(pending));
  const url = new URL(oidc.authorization_endpoint);
  const params = {
    response_type: 'code',
    client_id: oidc.client_id,
    redirect_uri: redirectUri(),
    scope: oidc.scopes.join(' '),
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.href);
}

/** Whether this page load is the provider sending the browser back (with a code or an error). */
export function isCallback() {
  const q = new URLSearchParams(location.search);
  return q.has('state') && (q.has('code') || q.has('error'));
}

/**
 * Finishes the sign-in this page load brings back: checks state, exchanges the code (PKCE verifier), checks the
 * ID token's nonce, and resolves to the token to call the gateway with. Rejects with the provider's own words.
 */
export async function finishSignIn() {
  const q = new URLSearchParams(location.search);
  history.replaceState(null, '', `/ui/${location.hash}`);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
  sessionStorage.removeItem(PENDING);
  if (!pending || q.get('state') !== pending.state)
    throw new Error('Sign-in answer does not match a sign-in started here: sign in again');
  if (q.has('error')) throw new Error(q.get('error_description') || q.get('error'));
  const res = await fetch(pending.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: q.get('code'),
      redirect_uri: redirectUri(),
      client_id: pending.client_id,
      code_verifier: pending.verifier,
    }),
  });
  const tokens = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(tokens.error_description || tokens.error || `token endpoint answered ${res.status}`);
  if (tokens.id_token && claims(tokens.id_token).nonce !== pending.nonce)
    throw new Error('Sign-in answer has a wrong nonce: sign in again');
  // The access token when the provider issues it as a JWT (meant for an API, with its scopes); else the ID token.
  const token = isJwt(tokens.access_token) ? tokens.access_token : tokens.id_token;
  if (!isJwt(token)) throw new Error('The provider issued no JWT the gateway could verify');
  return token;
}

const isJwt = (t) => typeof t === 'string' && t.split('.').length === 3;

function claims(jwt) {
  const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '=')));
}
