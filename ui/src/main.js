import { html } from 'htm/preact';
import { render } from 'preact';
import { useState } from 'preact/hooks';
import { session } from './api.js';
import { Keys } from './keys.js';
import { SignIn } from './sign-in.js';

function App() {
  const [signedIn, setSignedIn] = useState(() => session.get() !== null);
  if (!signedIn) return html`<${SignIn} onSignedIn=${() => setSignedIn(true)} />`;
  const signOut = () => {
    session.clear();
    setSignedIn(false);
  };
  return html`<header>
      <strong>LLM gateway</strong>
      <nav aria-label="Pages"><a href="#keys" aria-current="page">Keys</a> <a href="/docs">API docs</a></nav>
      <button type="button" onClick=${signOut}>Sign out</button>
    </header>
    <main><${Keys} onUnauthorized=${signOut} /></main>`;
}

render(html`<${App} />`, document.getElementById('app'));
