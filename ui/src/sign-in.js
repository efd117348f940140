import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, signIn } from './api.js';
import { finishSignIn, isCallback, startSignIn } from './oidc.js';

/**
 * Sign-in: through the OpenID provider when the gateway has `ui_oidc` (the button leaves for the provider, which
 * sends the browser back here with a code), or with the master key. Either credential is checked with the gateway
 * (/ui/session) before it is kept.
 */
export function SignIn({ onSignedIn }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(isCallback);
  const [oidc, setOidc] = useState(null);
  const [oidcError, setOidcError] = useState('');

  const accept = (token) => signIn(token).then(onSignedIn);
  useEffect(() => {
    api('/ui/config.json', { token: null })
      .then((c) => setOidc(c.oidc))
      .catch((err) => setOidcError(err.message));
    if (isCallback())
      finishSignIn()
        .then(accept)
        .catch((err) => setError(err.message))
        .finally(() => setBusy(false));
  }, []);

  const submit = (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    accept(key)
      .catch((err) => setError(err.message))
      .finally(() => setBusy(false));
  };
  const provider = () => {
    setBusy(true);
    startSignIn(oidc).catch((err) => (setError(err.message), setBusy(false)));
  };
  return html`<main class="narrow">
    <h1>LLM gateway admin</h1>
    ${busy && isCallback() && html`<p role="status">Signing in…</p>`}
    ${error && html`<p role="alert" class="error">${error}</p>`}
    ${
      oidc &&
      html`<p>
        <button type="button" class="primary" onClick=${provider} disabled=${busy}>
          Sign in with ${hostOf(oidc.issuer || oidc.authorization_endpoint)}
        </button>
      </p>`
    }
    ${oidcError && html`<p class="error">${oidcError}</p>`}
    <form onSubmit=${submit}>
      <label for="master-key">Master key</label>
      <input
        id="master-key"
        type="password"
        autocomplete="current-password"
        required
        value=${key}
        onInput=${(e) => setKey(e.currentTarget.value)}
      />
      <button type="submit" disabled=${busy}>Sign in</button>
    </form>
  </main>`;
}

function hostOf(url) {
  try {
    return new URL(url).host;
  } catch {
    return 'the OpenID provider';
  }
}
