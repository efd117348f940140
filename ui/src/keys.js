import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, session } from './api.js';

const SIZE = 20;

/** The Keys page: list (paged), create (secret shown once), block/unblock, delete with confirmation. */
export function Keys({ onUnauthorized }) {
  const [page, setPage] = useState(1);
  const [list, setList] = useState(null);
  const [error, setError] = useState('');
  const [secret, setSecret] = useState(null);
  const [confirming, setConfirming] = useState(null);

  const fail = (err) => {
    if (err.status === 401) onUnauthorized();
    else setError(err.message);
  };
  const load = () =>
    api(`/key/list?page=${page}&size=${SIZE}&return_full_object=true`)
      .then((data) => {
        setList(data);
        setError('');
      })
      .catch(fail);
  useEffect(() => void load(), [page]);

  const act = (path, body) =>
    api(path, { method: 'POST', body })
      .then(() => load())
      .catch(fail);

  return html`<h1>Keys</h1>
    ${error && html`<p role="alert" class="error">${error}</p>`}
    ${session.may('/key/generate') && html`<${CreateKey} onCreated=${(s) => (setSecret(s), load())} onError=${fail} />`}
    ${secret && html`<${Secret} secret=${secret} onDone=${() => setSecret(null)} />`}
    ${
      list === null
        ? html`<p>Loading…</p>`
        : html`<table>
              <caption>
                ${list.total_count} keys
              </caption>
              <thead>
                <tr>
                  <th scope="col">Alias</th>
                  <th scope="col">Key</th>
                  <th scope="col">Team</th>
                  <th scope="col">Spend</th>
                  <th scope="col">Budget</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                ${list.keys.map(
                  (k) =>
                    html`<tr key=${k.token}>
                      <td>${k.key_alias ?? ''}</td>
                      <td><code>${k.key_name ?? k.token.slice(0, 10)}</code></td>
                      <td>${k.team_id ?? ''}</td>
                      <td>${(k.spend ?? 0).toFixed(4)}</td>
                      <td>${k.max_budget ?? ''}</td>
                      <td>${k.blocked ? 'blocked' : 'active'}</td>
                      <td>
                        ${
                          session.may('/key/block') &&
                          html`<button
                            type="button"
                            onClick=${() => act(k.blocked ? '/key/unblock' : '/key/block', { key: k.token })}
                            aria-label=${`${k.blocked ? 'Unblock' : 'Block'} key ${k.key_alias ?? k.key_name}`}
                          >
                            ${k.blocked ? 'Unblock' : 'Block'}
                          </button>`
                        }
                        ${
                          !session.may('/key/delete')
                            ? ''
                            : confirming === k.token
                              ? html`<${Confirm}
                                  label=${`Delete key ${k.key_alias ?? k.key_name}?`}
                                  onYes=${() => (setConfirming(null), act('/key/delete', { keys: [k.token] }))}
                                  onNo=${() => setConfirming(null)}
                                />`
                              : html`<button
                                  type="button"
                                  onClick=${() => setConfirming(k.token)}
                                  aria-label=${`Delete key ${k.key_alias ?? k.key_name}`}
                                >
                                  Delete
                                </button>`
                        }
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>
            <nav aria-label="Key pages" class="pager">
              <button type="button" disabled=${page <= 1} onClick=${() => setPage(page - 1)}>Previous page</button>
              <span>Page ${list.current_page} of ${Math.max(list.total_pages, 1)}</span>
              <button type="button" disabled=${page >= list.total_pages} onClick=${() => setPage(page + 1)}>
                Next page
              </button>
            </nav>`
    }`;
}

function CreateKey({ onCreated, onError }) {
  const [alias, setAlias] = useState('');
  const [budget, setBudget] = useState('');
  const [models, setModels] = useState('');
  const submit = (e) => {
    e.preventDefault();
    const body = {};
    if (alias) body.key_alias = alias;
    if (budget) body.max_budget = Number(budget);
    const names = models
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    if (names.length) body.models = names;
    api('/key/generate', { method: 'POST', body })
      .then((created) => {
        setAlias('');
        setBudget('');
        setModels('');
        onCreated(created.key);
      })
      .catch(onError);
  };
  return html`<form class="row" onSubmit=${submit} aria-label="Create a key">
    <div>
      <label for="key-alias">Alias</label>
      <input id="key-alias" value=${alias} onInput=${(e) => setAlias(e.currentTarget.value)} />
    </div>
    <div>
      <label for="key-budget">Max budget (USD)</label>
      <input
        id="key-budget"
        type="number"
        min="0"
        step="any"
        value=${budget}
        onInput=${(e) => setBudget(e.currentTarget.value)}
      />
    </div>
    <div>
      <label for="key-models">Models (comma-separated)</label>
      <input id="key-models" value=${models} onInput=${(e) => setModels(e.currentTarget.value)} />
    </div>
    <button type="submit">Create key</button>
  </form>`;
}

/** The new key's secret: the only time it is shown (the gateway keeps a hash). */
function Secret({ secret, onDone }) {
  const [copied, setCopied] = useState(false);
  const ref = useRef(null);
  useEffect(() => ref.current?.focus(), []);
  const copy = () =>
    navigator.clipboard.writeText(secret).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  return html`<section class="secret" aria-labelledby="secret-title">
    <h2 id="secret-title" tabindex="-1" ref=${ref}>New key: copy it now, it is not shown again</h2>
    <label for="new-secret">Secret</label>
    <input id="new-secret" readonly value=${secret} onFocus=${(e) => e.currentTarget.select()} />
    <button type="button" onClick=${copy}>Copy</button>
    <span role="status">${copied ? 'Copied' : ''}</span>
    <button type="button" onClick=${onDone}>Done</button>
  </section>`;
}

function Confirm({ label, onYes, onNo }) {
  const ref = useRef(null);
  useEffect(() => ref.current?.focus(), []);
  return html`<span role="group" aria-label=${label}>
    ${label} <button type="button" ref=${ref} class="danger" onClick=${onYes}>Confirm delete</button>
    <button type="button" onClick=${onNo}>Cancel</button>
  </span>`;
}
