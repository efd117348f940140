import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';

/** The create form: alias, team, budget, models; the answer's secret goes to `onCreated`. */
export function CreateKey({ onCreated, onError }) {
  const submit = (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const value = (n) => form.elements.namedItem(n).value.trim();
    const body = {};
    if (value('key-alias')) body.key_alias = value('key-alias');
    if (value('key-team')) body.team_id = value('key-team');
    if (value('key-budget')) body.max_budget = Number(value('key-budget'));
    const models = value('key-models')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean);
    if (models.length) body.models = models;
    api('/key/generate', { method: 'POST', body })
      .then((created) => {
        form.reset();
        onCreated(created.key);
      })
      .catch((err) => onError(err.message));
  };
  const field = (id, label, extra = {}) =>
    html`<div><label for=${id}>${label}</label> <input id=${id} name=${id} ...${extra} /></div>`;
  return html`<form class="row" onSubmit=${submit} aria-label="Create a key">
    ${field('key-alias', 'Alias')} ${field('key-team', 'Team (empty: none)')}
    ${field('key-budget', 'Max budget (USD)', { type: 'number', min: '0', step: 'any' })}
    ${field('key-models', 'Models (comma-separated)')}
    <button type="submit">Create key</button>
  </form>`;
}

/** A new or regenerated key's secret: the only time it is shown (the gateway keeps a hash). */
export function Secret({ secret, onDone }) {
  const [copied, setCopied] = useState(false);
  const ref = useRef(null);
  useEffect(() => ref.current?.focus(), [secret]);
  const copy = () =>
    navigator.clipboard.writeText(secret).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  return html`<section class="secret" aria-labelledby="secret-title">
    <h2 id="secret-title" tabindex="-1" ref=${ref}>New key: copy it now, it is not shown again</h2>
    <label for="new-secret">Secret</label>
    <input id="new-secret" readonly value=${secret} onFocus=${(e) => e.currentTarget.select()} />
    <button type="button" onClick=${copy}>Copy</button>
    <span role="status">${copied ? 'Copied' : ''}</span>
    <button type="button" onClick=${onDone}>Done</button>
  </section>`;
}
