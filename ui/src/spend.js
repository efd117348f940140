import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, session } from './api.js';
import { Legend, StackedBars } from './chart.js';
import { Alert, Field, Select, Table, usd, useLoad } from './components.js';

const DAY = 86_400_000;
const SERIES = 7; // the biggest groups get a colour each; the rest are summed as "others"
const TOP = 10;

/** group_by → the report's list and the field naming a group in it (LiteLLM's names; a team by its id, not its alias). */
const GROUPS = {
  team: ['teams', 'team_id', 'Team'],
  api_key: ['api_keys', 'api_key', 'Key'],
  model: ['models', 'model', 'Model'],
  user: ['users', 'user', 'User'],
  customer: ['customers', 'customer', 'Customer'],
};
const MEASURES = {
  total_spend: ['Spend (USD)', usd],
  total_requests: ['Requests', (v) => String(Math.round(v))],
  total_tokens: ['Tokens', (v) => (v >= 1e4 ? `${+(v / 1000).toFixed(1)}k` : String(Math.round(v)))],
};

const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** Every day from `from` to `to` (YYYY-MM-DD, UTC), so days without calls show as gaps, not as missing days. */
function daysOf(from, to) {
  const days = [];
  for (let t = Date.parse(from); t <= Date.parse(to) && days.length < 400; t += DAY) days.push(isoDay(t));
  return days;
}

/** The report as per-group totals and per-day values of the measure. */
function shape(report, groupBy, measure, days, names) {
  const [list, field] = GROUPS[groupBy];
  const index = new Map(days.map((d, i) => [d, i]));
  const groups = new Map();
  for (const day of report) {
    const i = index.get(day.group_by_day.slice(0, 10));
    for (const g of day[list]) {
      const name = g[field] === null ? '(none)' : (names.get(g[field]) ?? g[field]);
      let e = groups.get(name);
      if (!e) groups.set(name, (e = { name, values: days.map(() => 0), spend: 0, requests: 0, tokens: 0 }));
      if (i !== undefined) e.values[i] += g[measure];
      e.spend += g.total_spend;
      e.requests += g.total_requests;
      e.tokens += g.total_tokens;
    }
  }
  const all = [...groups.values()];
  const byMeasure = [...all].sort((a, b) => sum(b.values) - sum(a.values));
  const series = byMeasure.slice(0, SERIES);
  const rest = byMeasure.slice(SERIES);
  if (rest.length)
    series.push({
      name: `${rest.length} others`,
      values: days.map((_, i) => rest.reduce((s, g) => s + g.values[i], 0)),
    });
  return {
    series,
    top: all.sort((a, b) => b.spend - a.spend).slice(0, TOP),
    total: all.reduce((s, g) => s + g.spend, 0),
  };
}

const sum = (xs) => xs.reduce((s, x) => s + x, 0);

/** Key hashes → aliases, for a chart of keys (best effort: a caller without the key list sees hashes). */
const aliases = () =>
  !session.may('/key/list')
    ? new Map()
    : api('/key/list?page=1&size=100&return_full_object=true').then(
        (l) => new Map(l.keys.filter((k) => k.key_alias).map((k) => [k.token, k.key_alias])),
        () => new Map(),
      );

/** The Spend page: spend, requests or tokens per day by team, key, model, user or customer, and the top spenders. */
export function Spend() {
  const today = isoDay(Date.now());
  const [q, setQ] = useState({
    from: isoDay(Date.now() - 29 * DAY),
    to: today,
    groupBy: 'team',
    measure: 'total_spend',
  });
  const { data, error } = useLoad(() => {
    const params = new URLSearchParams({ start_date: q.from, end_date: q.to, group_by: q.groupBy });
    return Promise.all([api(`/global/spend/report?${params}`), q.groupBy === 'api_key' ? aliases() : new Map()]).then(
      ([report, names]) => ({ q, ...shape(report, q.groupBy, q.measure, daysOf(q.from, q.to), names) }),
    );
  }, [q]);
  const change = (e) => {
    const f = e.currentTarget.form.elements;
    const v = (id) => f.namedItem(id).value;
    if (v('spend-from') && v('spend-to'))
      setQ({ from: v('spend-from'), to: v('spend-to'), groupBy: v('spend-group'), measure: v('spend-measure') });
  };
  // Named after what the shown data was asked for (a newer question may still be loading).
  const shown = data?.q ?? q;
  const [measureLabel, format] = MEASURES[shown.measure];
  const groupLabel = GROUPS[shown.groupBy][2];

  return html`<h1>Spend</h1>
    <form class="row" aria-label="What to chart" onSubmit=${(e) => e.preventDefault()}>
      <${Field} id="spend-from" label="From" type="date" defaultValue=${q.from} max=${today} onChange=${change} />
      <${Field} id="spend-to" label="To" type="date" defaultValue=${q.to} max=${today} onChange=${change} />
      <${Select}
        id="spend-group"
        label="Group by"
        value=${q.groupBy}
        onChange=${change}
        options=${Object.entries(GROUPS).map(([k, [, , text]]) => [k, text])}
      />
      <${Select}
        id="spend-measure"
        label="Measure"
        value=${q.measure}
        onChange=${change}
        options=${Object.entries(MEASURES).map(([k, [text]]) => [k, text])}
      />
    </form>
    <${Alert} message=${error} />
    ${
      data === null
        ? !error && html`<p>Loading…</p>`
        : html`<h2>${measureLabel} per day by ${groupLabel.toLowerCase()}</h2>
            ${
              data.series.length === 0
                ? html`<p>No calls from ${data.q.from} to ${data.q.to}.</p>`
                : html`<${StackedBars}
                      label=${`${measureLabel} per day by ${groupLabel.toLowerCase()}, ${data.q.from} to ${data.q.to}; the numbers are in the table below`}
                      labels=${daysOf(data.q.from, data.q.to)}
                      series=${data.series}
                      format=${format}
                    />
                    <${Legend} series=${data.series} />`
            }
            <h2>Top spenders</h2>
            <p>Total: ${usd(data.total)}</p>
            <${Table}
              caption=${`Top ${groupLabel.toLowerCase()}s by spend, ${data.q.from} to ${data.q.to}`}
              head=${[groupLabel, 'Spend', 'Share', 'Requests', 'Tokens']}
            >
              ${data.top.map(
                (g) =>
                  html`<tr key=${g.name}>
                    <th scope="row">${g.name}</th>
                    <td>${usd(g.spend)}</td>
                    <td>${data.total > 0 ? `${((g.spend / data.total) * 100).toFixed(1)} %` : ''}</td>
                    <td>${g.requests}</td>
                    <td>${g.tokens}</td>
                  </tr>`,
              )}
            <//>`
    }`;
}
