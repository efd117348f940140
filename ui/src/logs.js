import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { Alert, Field, Pager, Table, usd, useLoad } from './components.js';

const SIZE = 25;

/** Filter fields: [form id, /spend/logs parameter, label, input type]. */
const FILTERS = [
  ['log-key', 'api_key', 'Key (secret or hash)', 'text'],
  ['log-team', 'team_id', 'Team id', 'text'],
  ['log-user', 'user_id', 'User id', 'text'],
  ['log-model', 'model', 'Model', 'text'],
  ['log-request', 'request_id', 'Request id', 'text'],
  ['log-from', 'start_date', 'From (date)', 'date'],
  ['log-to', 'end_date', 'To (date)', 'date'],
];

const time = (iso) => iso.replace('T', ' ').slice(0, 19);

/** The Logs page: spend log rows (newest first), filtered and paged; never prompts or answers (none are kept). */
export function Logs() {
  const [filters, setFilters] = useState({});
  const [page, setPage] = useState(1);
  const { data, error } = useLoad(() => {
    // summarize=false: with both dates set, the route answers a summary per day unless asked for the rows.
    const q = new URLSearchParams({ ...filters, summarize: 'false', page: String(page), page_size: String(SIZE) });
    // The page travels with its rows: the caption names the page shown, not the one being loaded.
    return api(`/spend/logs?${q}`).then((rows) => ({ rows, page }));
  }, [filters, page]);
  const apply = (e) => {
    e.preventDefault();
    const next = {};
    for (const [id, param] of FILTERS) {
      const v = e.currentTarget.elements.namedItem(id).value.trim();
      if (v) next[param] = v;
    }
    setFilters(next);
    setPage(1);
  };
  const clear = (e) => {
    e.currentTarget.form.reset();
    setFilters({});
    setPage(1);
  };

  return html`<h1>Logs</h1>
    <form class="row" onSubmit=${apply} aria-label="Filter the logs">
      ${FILTERS.map(([id, , label, type]) => html`<${Field} id=${id} label=${label} type=${type} />`)}
      <button type="submit">Filter</button>
      <button type="button" onClick=${clear}>Clear filters</button>
    </form>
    <${Alert} message=${error} />
    ${
      data === null
        ? !error && html`<p>Loading…</p>`
        : html`<${Table}
              caption=${`${data.rows.length} call${data.rows.length === 1 ? '' : 's'} on page ${data.page}`}
              head=${['Time (UTC)', 'Request id', 'Model', 'Key', 'Team', 'User', 'Customer', 'Tokens in / out', 'Spend', 'Duration', 'Status']}
            >
              ${data.rows.map(
                (r, i) =>
                  html`<tr key=${`${i}-${r.request_id}`}>
                    <td>${time(r.startTime)}</td>
                    <th scope="row"><code>${r.request_id}</code></th>
                    <td>${r.model}</td>
                    <td>${r.key_alias ?? (r.api_key ? html`<code>${r.api_key.slice(0, 12)}…</code>` : '')}</td>
                    <td>${r.team_id ?? ''}</td>
                    <td>${r.user}</td>
                    <td>${r.end_user}</td>
                    <td>${r.prompt_tokens} / ${r.completion_tokens}</td>
                    <td>${usd(r.spend)}</td>
                    <td>${r.request_duration_ms} ms</td>
                    <td>${r.status_code} ${r.status}</td>
                  </tr>`,
              )}
            <//>
            <${Pager} label="Log pages" page=${page} more=${data.rows.length === SIZE} onPage=${setPage} />`
    }`;
}
