import { html } from 'htm/preact';
import { api, post } from './api.js';
import { Field, FormDialog, Select, usd, useLoad } from './components.js';
import { LimitFields, limitBody, limitSummary } from './limits.js';
import { ObjectPage, PAGE_SIZE } from './object-page.js';

const ROLES = ['internal_user', 'internal_user_viewer', 'proxy_admin', 'proxy_admin_viewer', 'team', 'customer'];

/** The Users page (LiteLLM's internal users): list (paged by the API), create, edit limits and role, delete. */
export function Users() {
  return html`<${ObjectPage}
    title="Users"
    noun="user"
    useList=${(page) => useLoad(() => api(`/user/list?page=${page}&page_size=${PAGE_SIZE}`), [page])}
    list=${(data) => ({ rows: data.users, total: data.total, page: data.page, pages: data.total_pages })}
    head=${['User', 'Email', 'Role', 'Teams', 'Spend', 'Budget', 'Limits', 'Actions']}
    cells=${(u) =>
      html`<td>${u.user_email ?? ''}</td>
        <td>${u.user_role ?? ''}</td>
        <td>${u.teams.join(', ')}</td>
        <td>${usd(u.spend)}</td>
        <td>${usd(u.max_budget)}</td>
        <td>${limitSummary(u)}</td>`}
    id=${(u) => u.user_id}
    alias=${(u) => u.user_alias}
    name=${(u) => u.user_alias ?? u.user_email ?? u.user_id}
    Form=${UserForm}
    remove=${(u) => post('/user/delete', { user_ids: [u.user_id] })}
    removal="The user and every key of the user are deleted. This cannot be undone."
  />`;
}

/** Create (no `user`) or edit a user. No key is created with the user: the Keys page creates keys. */
function UserForm({ item: user, onClose, onSaved }) {
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
