import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from './api.js';
import {
  Alert,
  count,
  ConfirmDialog,
  Field,
  FormDialog,
  Pager,
  Select,
  Table,
  usd,
  useLoad,
  useMayWrite,
} from './components.js';
import { LimitFields, limitBody, limitSummary } from './limits.js';

const SIZE = 25;
const post = (path, body) => api(path, { method: 'POST', body });
const ROLES = ['internal_user', 'internal_user_viewer', 'proxy_admin', 'proxy_admin_viewer', 'team', 'customer'];

/** The Users page (LiteLLM's internal users): list (paged), create, edit limits and role, delete. */
export function Users() {
  const write = useMayWrite();
  const [page, setPage] = useState(1);
  const [dialog, setDialog] = useState(null);
  const { data, error, reload } = useLoad(() => api(`/user/list?page=${page}&page_size=${SIZE}`), [page]);
  const close = () => setDialog(null);
  const name = (u) => u.user_alias ?? u.user_email ?? u.user_id;

  return html`<h1>Users</h1>
    <${Alert} message=${error} />
    ${write && html`<button type="button" onClick=${() => setDialog({ kind: 'edit' })}>Create user</button>`}
    ${
      data === null
        ? !error && html`<p>Loading…</p>`
        : html`<${Table}
              caption=${count(data.total, 'user')}
              head=${['User', 'Email', 'Role', 'Teams', 'Spend', 'Budget', 'Limits', 'Actions']}
            >
              ${data.users.map(
                (u) =>
                  html`<tr key=${u.user_id}>
                    <th scope="row">
                      ${u.user_alias ?? u.user_id}${u.user_alias && html`<br /><small>${u.user_id}</small>`}
                    </th>
                    <td>${u.user_email ?? ''}</td>
                    <td>${u.user_role ?? ''}</td>
                    <td>${u.teams.join(', ')}</td>
                    <td>${usd(u.spend)}</td>
                    <td>${usd(u.max_budget)}</td>
                    <td>${limitSummary(u)}</td>
                    <td class="actions">
                      ${
                        write &&
                        html`<button
                            type="button"
                            aria-label=${`Edit user ${name(u)}`}
                            onClick=${() => setDialog({ kind: 'edit', user: u })}
                          >
                            Edit
                          </button>
                          <button
                            type="button"
                            class="danger"
                            aria-label=${`Delete user ${name(u)}`}
                            onClick=${() => setDialog({ kind: 'delete', user: u })}
                          >
                            Delete
                          </button>`
                      }
                    </td>
                  </tr>`,
              )}
            <//>
            <${Pager} label="User pages" page=${data.page} pages=${data.total_pages} onPage=${setPage} />`
    }
    ${dialog?.kind === 'edit' && html`<${UserForm} user=${dialog.user} onClose=${close} onSaved=${reload} />`}
    ${
      dialog?.kind === 'delete' &&
      html`<${ConfirmDialog}
        title=${`Delete user ${name(dialog.user)}?`}
        message="The user and every key of the user are deleted. This cannot be undone."
        confirmLabel="Confirm delete"
        onConfirm=${() => post('/user/delete', { user_ids: [dialog.user.user_id] }).then(reload)}
        onClose=${close}
      />`
    }`;
}

/** Create (no `user`) or edit a user. No key is created with the user: the Keys page creates keys. */
function UserForm({ user, onClose, onSaved }) {
  const save = (form) => {
    const value = (f) => form.elements.namedItem(f).value.trim();
    const body = limitBody(form, 'user', { clear: !!user });
    for (const [f, field] of [
      ['user-alias', 'user_alias'],
      ['user-email', 'user_email'],
      ['user-role', 'user_role'],
    ]) {
      if (value(f)) body[field] = value(f);
      else if (user) body[field] = null;
    }
    if (user) return post('/user/update', { ...body, user_id: user.user_id }).then(onSaved);
    if (value('user-id')) body.user_id = value('user-id');
    return post('/user/new', { ...body, auto_create_key: false }).then(onSaved);
  };
  return html`<${FormDialog}
    title=${user ? `Edit user ${user.user_id}` : 'Create user'}
    submitLabel=${user ? 'Save user' : 'Create user'}
    onSubmit=${save}
    onClose=${onClose}
  >
    ${!user && html`<${Field} id="user-id" label="User id (empty: generated)" />`}
    <${Field} id="user-alias" label="Name" defaultValue=${user?.user_alias ?? ''} />
    <${Field} id="user-email" label="Email" type="email" defaultValue=${user?.user_email ?? ''} />
    <${Select}
      id="user-role"
      label="Role"
      value=${user?.user_role ?? ''}
      options=${[['', '(none)'], ...ROLES.map((r) => [r, r])]}
    />
    <${LimitFields} prefix="user" value=${user} />
  <//>`;
}
