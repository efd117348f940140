import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from './api.js';
import {
  Alert,
  count,
  ConfirmDialog,
  FormDialog,
  Pager,
  Table,
  pageOf,
  usd,
  useLoad,
  useMayWrite,
} from './components.js';
import { LimitFields, limitBody, limitSummary } from './limits.js';
import { Members } from './team-members.js';

const SIZE = 25;
const post = (path, body) => api(path, { method: 'POST', body });

/** The Teams page: list, create, edit limits, block/unblock, delete with confirmation, members. */
export function Teams() {
  const write = useMayWrite();
  const [page, setPage] = useState(1);
  const [dialog, setDialog] = useState(null);
  const { data: teams, error, setError, reload } = useLoad(() => api('/team/list'), []);
  const close = () => setDialog(null);
  const done = () => reload();
  const act = (path, body) =>
    post(path, body)
      .then(done)
      .catch((err) => setError(err.message));
  const name = (t) => t.team_alias ?? t.team_id;

  const rows = teams ?? [];
  return html`<h1>Teams</h1>
    <${Alert} message=${error} />
    ${write && html`<button type="button" onClick=${() => setDialog({ kind: 'edit' })}>Create team</button>`}
    ${
      teams === null
        ? html`<p>Loading…</p>`
        : html`<${Table}
              caption=${count(rows.length, 'team')}
              head=${['Team', 'Models', 'Spend', 'Budget', 'Limits', 'Members', 'Status', 'Actions']}
            >
              ${pageOf(rows, page, SIZE).map(
                (t) =>
                  html`<tr key=${t.team_id}>
                    <th scope="row">${name(t)}${t.team_alias && html`<br /><small>${t.team_id}</small>`}</th>
                    <td>${t.models.length ? t.models.join(', ') : 'all'}</td>
                    <td>${usd(t.spend)}</td>
                    <td>${usd(t.max_budget)}${t.soft_budget != null ? ` (soft ${usd(t.soft_budget)})` : ''}</td>
                    <td>${limitSummary(t)}</td>
                    <td>${t.members_with_roles.length}</td>
                    <td>${t.blocked ? 'blocked' : 'active'}</td>
                    <td class="actions">
                      <button
                        type="button"
                        aria-label=${`Members of team ${name(t)}`}
                        onClick=${() => setDialog({ kind: 'members', team: t })}
                      >
                        Members
                      </button>
                      ${
                        write &&
                        html`<button
                            type="button"
                            aria-label=${`Edit team ${name(t)}`}
                            onClick=${() => setDialog({ kind: 'edit', team: t })}
                          >
                            Edit
                          </button>
                          <button
                            type="button"
                            aria-label=${`${t.blocked ? 'Unblock' : 'Block'} team ${name(t)}`}
                            onClick=${() => act(t.blocked ? '/team/unblock' : '/team/block', { team_id: t.team_id })}
                          >
                            ${t.blocked ? 'Unblock' : 'Block'}
                          </button>
                          <button
                            type="button"
                            class="danger"
                            aria-label=${`Delete team ${name(t)}`}
                            onClick=${() => setDialog({ kind: 'delete', team: t })}
                          >
                            Delete
                          </button>`
                      }
                    </td>
                  </tr>`,
              )}
            <//>
            <${Pager} label="Team pages" page=${page} pages=${Math.ceil(rows.length / SIZE)} onPage=${setPage} />`
    }
    ${dialog?.kind === 'edit' && html`<${TeamForm} team=${dialog.team} onClose=${close} onSaved=${done} />`}
    ${
      dialog?.kind === 'members' &&
      html`<${Members}
        team=${teams.find((t) => t.team_id === dialog.team.team_id) ?? dialog.team}
        onChanged=${done}
        onClose=${close}
      />`
    }
    ${
      dialog?.kind === 'delete' &&
      html`<${ConfirmDialog}
        title=${`Delete team ${name(dialog.team)}?`}
        message="The team and every key of the team are deleted. This cannot be undone."
        confirmLabel="Confirm delete"
        onConfirm=${() => post('/team/delete', { team_ids: [dialog.team.team_id] }).then(done)}
        onClose=${close}
      />`
    }`;
}

/** Create (no `team`) or edit a team's alias and limits. */
function TeamForm({ team, onClose, onSaved }) {
  const save = (form) => {
    const body = limitBody(form, 'team', { clear: !!team });
    const alias = form.elements.namedItem('team-alias').value.trim();
    if (alias) body.team_alias = alias;
    else if (team) body.team_alias = null;
    if (team) return post('/team/update', { ...body, team_id: team.team_id }).then(onSaved);
    const id = form.elements.namedItem('team-id').value.trim();
    if (id) body.team_id = id;
    return post('/team/new', body).then(onSaved);
  };
  return html`<${FormDialog}
    title=${team ? `Edit team ${team.team_alias ?? team.team_id}` : 'Create team'}
    submitLabel=${team ? 'Save team' : 'Create team'}
    onSubmit=${save}
    onClose=${onClose}
  >
    <div class="field">
      <label for="team-alias">Team name</label>
      <input id="team-alias" name="team-alias" defaultValue=${team?.team_alias ?? ''} />
    </div>
    ${
      !team &&
      html`<div class="field">
        <label for="team-id">Team id (empty: generated)</label>
        <input id="team-id" name="team-id" aria-describedby="team-id-hint" />
        <small id="team-id-hint">The id a JWT's team claim names.</small>
      </div>`
    }
    <${LimitFields} prefix="team" value=${team} soft=${true} />
  <//>`;
}
