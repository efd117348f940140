import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { session } from './api.js';
import { Access } from './components.js';
import { PAGES } from './pages.js';
import { SignIn } from './sign-in.js';

/** The page named in the location's hash (#teams), the first page when none is. */
const pageOf = () => PAGES.find((p) => `#${p.id}` === location.hash) ?? PAGES[0];

function App() {
  const [signedIn, setSignedIn] = useState(() => session.who() !== null);
  const [page, setPage] = useState(pageOf);
  const main = useRef(null);
  useEffect(() => {
    const go = () => {
      setPage(pageOf());
      main.current?.focus(); // a screen reader reads the new page from its start
    };
    addEventListener('hashchange', go);
    return () => removeEventListener('hashchange', go);
  }, []);
  if (!signedIn) return html`<${SignIn} onSignedIn=${() => setSignedIn(true)} />`;
  const signOut = () => {
    session.clear();
    setSignedIn(false);
  };
  const Page = page.component;
  return html`<header>
      <strong>LLM gateway</strong>
      <nav aria-label="Pages">
        ${PAGES.map((p) => html`<a href=${`#${p.id}`} aria-current=${p === page ? 'page' : undefined}>${p.label}</a> `)}
        <a href="/docs">API docs</a>
      </nav>
      <button type="button" onClick=${signOut}>Sign out</button>
    </header>
    <main ref=${main} tabindex="-1">
      <${Access.Provider} value=${{ write: session.mayWrite(), onUnauthorized: signOut }}>
        <${Page} onUnauthorized=${signOut} />
      <//>
    </main>`;
}

render(html`<${App} />`, document.getElementById('app'));
