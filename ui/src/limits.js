import { html } from 'htm/preact';
import { Field } from './components.js';

/**
 * The limit fields teams, users and customers share (LiteLLM's names), as form fields and back as a request body.
 * `soft`: the object has a soft budget (teams). Prefilled from `value` when editing.
 */
export function LimitFields({ prefix, value = {}, soft = false }) {
  const id = (f) => `${prefix}-${f}`;
  const num = (f, label, extra = {}) =>
    html`<${Field} id=${id(f)} label=${label} type="number" min="0" defaultValue=${value[f] ?? ''} ...${extra} />`;
  return html`<fieldset>
    <legend>Limits (empty: none)</legend>
    <${Field}
      id=${id('models')}
      label="Models (comma-separated; empty: all)"
      defaultValue=${(value.models ?? []).join(', ')}
    />
    ${num('max_budget', 'Max budget (USD)', { step: 'any' })}
    ${soft && num('soft_budget', 'Soft budget (USD)', { step: 'any' })}
    <${Field}
      id=${id('budget_duration')}
      label="Budget period"
      hint='e.g. "30d", "24h", "1mo": the spend starts again from 0 each period'
      defaultValue=${value.budget_duration ?? ''}
    />
    ${num('rpm_limit', 'Requests per minute', { step: 1 })} ${num('tpm_limit', 'Tokens per minute', { step: 1 })}
    ${num('max_parallel_requests', 'Parallel requests', { step: 1 })}
  </fieldset>`;
}

const NUMBERS = ['max_budget', 'soft_budget', 'rpm_limit', 'tpm_limit', 'max_parallel_requests'];

/**
 * The limits typed in `form` as body fields. Creating, an empty field is left out; editing (`clear`), an empty
 * field clears the limit (null), so what the form shows is what is stored.
 */
export function limitBody(form, prefix, { clear = false } = {}) {
  const get = (f) => form.elements.namedItem(`${prefix}-${f}`);
  const body = {};
  const models = get('models')
    .value.split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  if (models.length || clear) body.models = models;
  for (const f of NUMBERS) {
    const input = get(f);
    if (!input) continue;
    if (input.value !== '') body[f] = Number(input.value);
    else if (clear) body[f] = null;
  }
  const period = get('budget_duration').value.trim();
  if (period) body.budget_duration = period;
  else if (clear) body.budget_duration = null;
  return body;
}

/** A short text of an object's limits, for a table cell. */
export function limitSummary(o) {
  const parts = [];
  if (o.rpm_limit != null) parts.push(`${o.rpm_limit} rpm`);
  if (o.tpm_limit != null) parts.push(`${o.tpm_limit} tpm`);
  if (o.max_parallel_requests != null) parts.push(`${o.max_parallel_requests} parallel`);
  if (o.budget_duration) parts.push(`budget per ${o.budget_duration}`);
  return parts.join(', ');
}
