import { html } from 'htm/preact';
import { api } from './api.js';
import { Alert, count, Table, useLoad } from './components.js';

/** Per-token cost as USD per million tokens, the unit price lists use. */
const perMillion = (c) => (typeof c === 'number' ? `$${+(c * 1e6).toFixed(4)}` : '');

/** How a deployment is doing now, from `GET /health` (the router's own view: no upstream is called). */
function state(info, health) {
  if (info.model_info.unavailable) return `unavailable: ${info.model_info.unavailable}`;
  if (!health) return '';
  if (health.cooldown_remaining_seconds !== undefined)
    return `cooling down (${health.cooldown_remaining_seconds} s left)`;
  return 'healthy';
}

/**
 * The Models page: the deployments the caller may use (`/model/info`, secrets already removed by the gateway),
 * their health and cool-downs (`/health`).
 */
export function Models() {
  const { data, error, reload } = useLoad(
    () =>
      Promise.all([api('/model/info'), api('/health')]).then(([info, health]) => {
        const byId = new Map();
        for (const e of [...health.healthy_endpoints, ...health.unhealthy_endpoints]) byId.set(e.model_id, e);
        return { deployments: info.data, byId, health };
      }),
    [],
  );
  return html`<h1>Models</h1>
    <${Alert} message=${error} />
    <button type="button" onClick=${reload}>Refresh</button>
    ${
      data === null
        ? !error && html`<p>Loading…</p>`
        : html`<p role="status">${data.health.healthy_count} healthy, ${data.health.unhealthy_count} cooling down</p>
            <${Table}
              caption=${count(data.deployments.length, 'deployment')}
              head=${[
                'Model group',
                'Deployment',
                'API base',
                'Id',
                'Input / 1M tokens',
                'Output / 1M tokens',
                'Limits',
                'Recent failures',
                'State',
              ]}
            >
              ${data.deployments.map((d) => {
                const h = data.byId.get(d.model_info.id);
                const p = d.litellm_params;
                const limits = [p.rpm && `${p.rpm} rpm`, p.tpm && `${p.tpm} tpm`].filter(Boolean).join(', ');
                return html`<tr key=${`${d.model_name}/${d.model_info.id}`}>
                  <th scope="row">
                    ${d.model_name}${d.model_info.alias_of && html` (alias of ${d.model_info.alias_of})`}
                  </th>
                  <td>${p.model}</td>
                  <td>${p.api_base ?? ''}</td>
                  <td><code>${d.model_info.id}</code></td>
                  <td>${perMillion(d.model_info.input_cost_per_token)}</td>
                  <td>${perMillion(d.model_info.output_cost_per_token)}</td>
                  <td>${limits}</td>
                  <td>${h?.recent_failures ?? ''}</td>
                  <td>${state(d, h)}</td>
                </tr>`;
              })}
            <//>`
    }`;
}
