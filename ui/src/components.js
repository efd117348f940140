import { html } from 'htm/preact';
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';

/** What the signed-in caller may do: pages hide their write controls when `write` is false. */
export const Access = createContext({ write: true, onUnauthorized: () => undefined });

/** Whether the signed-in caller may change things (a viewer may not; the API refuses it anyway). */
export const useMayWrite = () => useContext(Access).write;

/**
 * Loads with `load()` whenever `deps` change; `error` holds the API's own words. A 401 (the credential no longer
 * works) signs out instead.
 */
export function useLoad(load, deps) {
  const { onUnauthorized } = useContext(Access);
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  const fail = useCallback((err) => (err.status === 401 ? onUnauthorized() : setError(err.message)), [onUnauthorized]);
  const latest = useRef(0);
  const reload = useCallback(() => {
    // Answers can arrive out of order: only the last question's answer is shown.
    const asked = ++latest.current;
    return load().then(
      (d) => {
        if (asked !== latest.current) return;
        setData(d);
        setError('');
      },
      (err) => asked === latest.current && fail(err),
    );
  }, deps);
  useEffect(() => void reload(), [reload]);
  return { data, error, setError, fail, reload };
}

export const Alert = ({ message }) => (message ? html`<p role="alert" class="error">${message}</p>` : null);

/**
 * A modal dialog (the native <dialog>: focus stays inside, Escape closes). Focus goes to the element marked
 * `autofocus`, else the first field, else the first button, and back to where it was when the dialog closes.
 */
export function Dialog({ title, onClose, children }) {
  const ref = useRef(null);
  useEffect(() => {
    const opener = document.activeElement;
    const dialog = ref.current;
    dialog.showModal();
    // A field before any button: a dialog must not open with focus on a button that removes something.
    const first = (q) => dialog.querySelector(q);
    (first('[autofocus]') ?? first('input, select, textarea') ?? first('button'))?.focus();
    // The opener may be gone (its row was deleted): then the page itself takes the focus.
    return () => (opener?.isConnected ? opener.focus() : document.querySelector('main')?.focus());
  }, []);
  const cancel = (e) => {
    e.preventDefault();
    onClose();
  };
  return html`<dialog ref=${ref} aria-labelledby="dialog-title" onCancel=${cancel}>
    <h2 id="dialog-title">${title}</h2>
    ${children}
  </dialog>`;
}

/**
 * A dialog holding a form: Enter submits, Escape or Cancel closes. `onSubmit(form)` returns a promise; when it
 * rejects, the API's words are shown in the dialog and it stays open with what was typed.
 */
export function FormDialog({ title, submitLabel, onSubmit, onClose, children }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = (e) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    let body;
    try {
      body = onSubmit(e.currentTarget);
    } catch (err) {
      body = Promise.reject(err);
    }
    Promise.resolve(body)
      .then(onClose, (err) => setError(err.message))
      .finally(() => setBusy(false));
  };
  return html`<${Dialog} title=${title} onClose=${onClose}>
    <form onSubmit=${submit} class="stack">
      ${children}
      <${Alert} message=${error} />
      <div class="actions">
        <button type="submit" disabled=${busy}>${submitLabel}</button>
        <button type="button" onClick=${onClose}>Cancel</button>
      </div>
    </form>
  <//>`;
}

/** Asks before something that cannot be undone; the confirm button has the focus. */
export function ConfirmDialog({ title, message, confirmLabel, onConfirm, onClose }) {
  return html`<${FormDialog} title=${title} submitLabel=${confirmLabel} onSubmit=${onConfirm} onClose=${onClose}>
    <p>${message}</p>
  <//>`;
}

/** A labelled input; extra props go to the input. */
export function Field({ id, label, hint, ...input }) {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <input id=${id} name=${id} ...${input} aria-describedby=${hint ? `${id}-hint` : undefined} />
    ${hint && html`<small id=${`${id}-hint`}>${hint}</small>`}
  </div>`;
}

/** A labelled select of `options` ([value, text] pairs). */
export function Select({ id, label, options, value, ...rest }) {
  return html`<div class="field">
    <label for=${id}>${label}</label>
    <select id=${id} name=${id} ...${rest}>
      ${options.map(([v, text]) => html`<option value=${v} selected=${v === (value ?? '')}>${text}</option>`)}
    </select>
  </div>`;
}

/** Previous/next paging; `more` says whether a next page exists. */
export function Pager({ label, page, pages, more = page < pages, onPage }) {
  return html`<nav aria-label=${label} class="pager">
    <button type="button" disabled=${page <= 1} onClick=${() => onPage(page - 1)}>Previous page</button>
    <span>Page ${page}${pages ? ` of ${Math.max(pages, 1)}` : ''}</span>
    <button type="button" disabled=${!more} onClick=${() => onPage(page + 1)}>Next page</button>
  </nav>`;
}

/** A table that scrolls sideways on a narrow screen instead of overflowing the page. */
export const Table = ({ caption, head, children }) =>
  html`<div class="table-wrap" tabindex="0" role="region" aria-label=${caption}>
    <table>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          ${head.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${children}
      </tbody>
    </table>
  </div>`;

/** USD with as many decimals as small amounts need. */
export function usd(n) {
  if (n === null || n === undefined) return '';
  return `$${Number(n).toFixed(n !== 0 && Math.abs(n) < 0.01 ? 6 : 2)}`;
}

/** "1 team", "2 teams". */
export const count = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** One page of `rows` (lists the API answers whole). */
export const pageOf = (rows, page, size) => rows.slice((page - 1) * size, page * size);
