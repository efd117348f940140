import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, session } from './api.js';

/** Sign-in with the master key: checked against the API (a key list of one) before it is kept. */
export function SignIn({ onSignedIn }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await api('/key/list?page=1&size=1', { token: key });
      session.set(key);
      onSignedIn();
    } catch (err) {
      setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="narrow">
    <h1>LLM gateway admin</h1>
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
      ${error && html`<p role="alert" class="error">${error}</p>`}
    </form>
  </main>`;
}
