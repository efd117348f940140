import { html } from 'htm/preact';
import { api, post } from './api.js';
import { FormDialog, usd, useLoad } from './components.js';
import { LimitFields, limitBody, limitSummary } from './limits.js';
import { ObjectPage, wholeList } from './object-page.js';
import { Members } from './team-members.js';

/** The Teams page: list, create, edit limits, block/unblock, delete with confirmation, members. */
export function Teams() {
  const name = (t) => t.team_alias ?? t.team_id;
  return html`<${ObjectPage}
    title="Teams"
    noun="team"
    useList=${() => useLoad(() => api('/team/list'), [])}
    list=${wholeList}
    head=${['Team', 'Models', 'Spend', 'Budget', 'Limits', 'Members', 'Status', 'Actions']}
    cells=${(t) =>
      html`<td>${t.models.length ? t.models.join(', ') : 'all'}</td>
        <td>${usd(t.spend)}</td>
        <td>${usd(t.max_budget)}${t.soft_budget != null ? ` (soft ${usd(t.soft_budget)})` : ''}</td>
        <td>${limitSummary(t)}</td>
        <td>${t.members_with_roles.length}</td>
        <td>${t.blocked ? 'blocked' : 'active'}</td>`}
    id=${(t) => t.team_id}
    alias=${(t) => t.team_alias}
    name=${name}
    Form=${TeamForm}
    block=${(t) => [t.blocked ? '/team/unblock' : '/team/block', { team_id: t.team_id }]}
    remove=${(t) => post('/team/delete', { team_ids: [t.team_id] })}
    removal="The team and every key of the team are deleted. This cannot be undone."
    extra=${{ actions: membersButton(name), dialog: membersDialog }}
  />`;
}

const membersButton = (name) => (t, open) =>
  html`<button
    type="button"
    aria-label=${`Members of team ${name(t)}`}
    onClick=${() => open({ kind: 'members', item: t })}
  >
    Members
  </button>`;

/** The members dialog shows the team as last loaded, so a change shows once the list is reloaded. */
function membersDialog(dialog, teams, close, reload) {
  if (dialog?.kind !== 'members') return null;
  const team = teams.find((t) => t.team_id === dialog.item.team_id) ?? dialog.item;
  return html`<${Members} team=${team} onChanged=${reload} onClose=${close} />`;
}

/** Create (no `team`) or edit a team's alias and limits. */
function TeamForm({ item: team, onClose, onSaved }) {
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
