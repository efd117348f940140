import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { post } from './api.js';
import { Alert, count, Dialog, Field, Select, Table, useMayWrite } from './components.js';

/** A team's members (LiteLLM's members_with_roles): listed, added with a role, removed. */
export function Members({ team, onChanged, onClose }) {
  const write = useMayWrite();
  const [error, setError] = useState('');
  const name = team.team_alias ?? team.team_id;
  const run = (promise) =>
    promise.then(
      () => (setError(''), onChanged()),
      (err) => setError(err.message),
    );
  const add = (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const value = (f) => form.elements.namedItem(f).value.trim();
    const member = { role: value('member-role') };
    if (value('member-user-id')) member.user_id = value('member-user-id');
    if (value('member-email')) member.user_email = value('member-email');
    run(post('/team/member_add', { team_id: team.team_id, member }).then(() => form.reset()));
  };
  const who = (m) => m.user_id ?? m.user_email;
  const remove = (m) =>
    run(
      post('/team/member_delete', {
        team_id: team.team_id,
        ...(m.user_id ? { user_id: m.user_id } : { user_email: m.user_email }),
      }),
    );

  return html`<${Dialog} title=${`Members of team ${name}`} onClose=${onClose}>
    <${Table}
      caption=${count(team.members_with_roles.length, 'member')}
      head=${['User', 'Email', 'Role', write ? 'Actions' : '']}
    >
      ${team.members_with_roles.map(
        (m) =>
          html`<tr key=${who(m)}>
            <td>${m.user_id ?? ''}</td>
            <td>${m.user_email ?? ''}</td>
            <td>${m.role}</td>
            <td>
              ${
                write &&
                html`<button
                  type="button"
                  class="danger"
                  aria-label=${`Remove member ${who(m)}`}
                  onClick=${() => remove(m)}
                >
                  Remove
                </button>`
              }
            </td>
          </tr>`,
      )}
    <//>
    ${
      write &&
      html`<form class="row" onSubmit=${add} aria-label="Add a member">
        <${Field} id="member-user-id" label="User id" />
        <${Field} id="member-email" label="User email" type="email" />
        <${Select}
          id="member-role"
          label="Role"
          value="user"
          options=${[
            ['user', 'user'],
            ['admin', 'admin'],
          ]}
        />
        <button type="submit">Add member</button>
      </form>`
    }
    <${Alert} message=${error} />
    <div class="actions"><button type="button" onClick=${onClose}>Close</button></div>
  <//>`;
}
