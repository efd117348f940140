import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, post, session } from './api.js';
import { Alert, ConfirmDialog, count, FormDialog, Pager, Table, usd, useLoad } from './components.js';
import { CreateKey, Secret } from './key-create.js';
import { LimitFields, limitBody, limitSummary } from './limits.js';

const SIZE = 20;
const FILTERS = [
  ['team_id', 'Team id'],
  ['key_alias', 'Key name'],
  ['user_id', 'User id'],
];

/**
 * The Keys page: LiteLLM's /key/list with its filters (team, alias, user) and paging; create (the secret shown
 * once), edit limits, regenerate, block/unblock, delete with confirmation. Controls the caller's policy would
 * refuse are left out (GET /ui/session); a refusal of the handler is shown in the API's words.
 */
export function Keys() {
  const [page, setPage] = useState(1);
  const [filters, setFilters] = useState({});
  const [secret, setSecret] = useState(null);
  const [dialog, setDialog] = useState(null);
  const query = new URLSearchParams({ page, size: SIZE, return_full_object: 'true', ...filters });
  const { data, error, setError, reload } = useLoad(() => api(`/key/list?${query}`), [query.toString()]);
  const close = () => setDialog(null);
  const act = (path, body) => post(path, body).then(reload, (err) => setError(err.message));
  const name = (k) => k.key_alias ?? k.key_name ?? k.token.slice(0, 10);
  const filter = (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const next = {};
    for (const [f] of FILTERS)
      if (form.elements.namedItem(f).value.trim()) next[f] = form.elements.namedItem(f).value.trim();
    setFilters(next);
    setPage(1);
  };
  const may = session.may;

  return html`<h1>Keys</h1>
    <${Alert} message=${error} />
    ${may('/key/generate') && html`<${CreateKey} onCreated=${(s) => (setSecret(s), reload())} onError=${setError} />`}
    ${secret && html`<${Secret} secret=${secret} onDone=${() => setSecret(null)} />`}
    <form class="row" role="search" aria-label="Filter keys" onSubmit=${filter}>
      ${FILTERS.map(
        ([f, label]) =>
          html`<div>
            <label for=${f}>${label}</label> <input id=${f} name=${f} defaultValue=${filters[f] ?? ''} />
          </div>`,
      )}
      <button type="submit">Filter</button>
    </form>
    ${
      data === null
        ? !error && html`<p>Loading…</p>`
        : html`<${Table}
              caption=${count(data.total_count, 'key')}
              head=${['Alias', 'Key', 'Team', 'User', 'Spend', 'Budget', 'Limits', 'Status', 'Actions']}
            >
              ${data.keys.map(
                (k) =>
                  html`<tr key=${k.token}>
                    <td>${k.key_alias ?? ''}</td>
                    <td><code>${k.key_name ?? k.token.slice(0, 10)}</code></td>
                    <td>${k.team_id ?? ''}</td>
                    <td>${k.user_id ?? ''}</td>
                    <td>${usd(k.spend ?? 0)}</td>
                    <td>${usd(k.max_budget)}</td>
                    <td>${limitSummary(k)}</td>
                    <td>${k.blocked ? 'blocked' : 'active'}</td>
                    <td class="actions">
                      ${may('/key/update') && button(`Edit key ${name(k)}`, 'Edit', () => setDialog({ kind: 'edit', k }))}
                      ${
                        may('/key/regenerate') &&
                        button(`Regenerate key ${name(k)}`, 'Regenerate', () => setDialog({ kind: 'regenerate', k }))
                      }
                      ${
                        may('/key/block') &&
                        button(
                          `${k.blocked ? 'Unblock' : 'Block'} key ${name(k)}`,
                          k.blocked ? 'Unblock' : 'Block',
                          () => act(k.blocked ? '/key/unblock' : '/key/block', { key: k.token }),
                        )
                      }
                      ${may('/key/delete') && button(`Delete key ${name(k)}`, 'Delete', () => setDialog({ kind: 'delete', k }))}
                    </td>
                  </tr>`,
              )}
            <//>
            <${Pager} label="Key pages" page=${data.current_page} pages=${data.total_pages} onPage=${setPage} />`
    }
    ${
      dialog?.kind === 'edit' &&
      html`<${FormDialog}
        title=${`Edit key ${name(dialog.k)}`}
        submitLabel="Save"
        onClose=${close}
        onSubmit=${(form) =>
          post('/key/update', {
            key: dialog.k.token,
            key_alias: form.elements.namedItem('edit-alias').value.trim() || null,
            ...limitBody(form, 'edit', { clear: true }),
          }).then(reload)}
      >
        <div class="field">
          <label for="edit-alias">Alias</label>
          <input id="edit-alias" name="edit-alias" defaultValue=${dialog.k.key_alias ?? ''} />
        </div>
        <${LimitFields} prefix="edit" value=${dialog.k} soft=${true} />
      <//>`
    }
    ${
      dialog?.kind === 'regenerate' &&
      html`<${ConfirmDialog}
        title=${`Regenerate key ${name(dialog.k)}?`}
        message="A new secret replaces the current one, which stops working at once."
        confirmLabel="Confirm regenerate"
        onClose=${close}
        onConfirm=${() =>
          post('/key/regenerate', { key: dialog.k.token }).then((r) => {
            setSecret(r.key);
            reload();
          })}
      />`
    }
    ${
      dialog?.kind === 'delete' &&
      html`<${ConfirmDialog}
        title=${`Delete key ${name(dialog.k)}?`}
        message="Calls with it are refused from now on. This cannot be undone."
        confirmLabel="Confirm delete"
        onClose=${close}
        onConfirm=${() => post('/key/delete', { keys: [dialog.k.token] }).then(reload)}
      />`
    }`;
}

const button = (label, text, onClick) =>
  html`<button type="button" aria-label=${label} onClick=${onClick}>${text}</button>`;
