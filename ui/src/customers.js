import { html } from 'htm/preact';
import { api, post } from './api.js';
import { Field, FormDialog, Select, usd, useLoad } from './components.js';
import { LimitFields, limitBody, limitSummary } from './limits.js';
import { ObjectPage, wholeList } from './object-page.js';

/**
 * The Customers page: LiteLLM's end users, the `user` field of model calls. List, create, edit limits,
 * block/unblock, delete with confirmation.
 */
export function Customers() {
  return html`<${ObjectPage}
    title="Customers"
    noun="customer"
    intro=${html`<p>End users: the <code>user</code> field of a model call.</p>`}
    useList=${() => useLoad(() => api('/customer/list'), [])}
    list=${wholeList}
    head=${['Customer', 'Models', 'Default model', 'Region', 'Spend', 'Budget', 'Limits', 'Status', 'Actions']}
    cells=${(c) =>
      html`<td>${c.models.length ? c.models.join(', ') : 'all'}</td>
        <td>${c.default_model ?? ''}</td>
        <td>${c.allowed_model_region ?? ''}</td>
        <td>${usd(c.spend)}</td>
        <td>${usd(c.max_budget)}</td>
        <td>${limitSummary(c)}</td>
        <td>${c.blocked ? 'blocked' : 'active'}</td>`}
    id=${(c) => c.user_id}
    alias=${(c) => c.alias}
    name=${(c) => c.alias ?? c.user_id}
    Form=${CustomerForm}
    block=${(c) => [c.blocked ? '/customer/unblock' : '/customer/block', { user_ids: [c.user_id] }]}
    remove=${(c) => post('/customer/delete', { user_ids: [c.user_id] })}
    removal="The customer and its limits are deleted; its past spend stays in the logs."
  />`;
}

/** Create (no `customer`) or edit a customer's name, default model, region and limits. */
function CustomerForm({ item: customer, onClose, onSaved }) {
  const save = (form) => {
    const value = (f) => form.elements.namedItem(f).value.trim();
    const body = limitBody(form, 'customer', { clear: !!customer });
    for (const [f, field] of [
      ['customer-alias', 'alias'],
      ['customer-default-model', 'default_model'],
      ['customer-region', 'allowed_model_region'],
    ]) {
      if (value(f)) body[field] = value(f);
      else if (customer) body[field] = null;
    }
    return post(customer ? '/customer/update' : '/customer/new', {
      ...body,
      user_id: customer ? customer.user_id : value('customer-id'),
    }).then(onSaved);
  };
  return html`<${FormDialog}
    title=${customer ? `Edit customer ${customer.user_id}` : 'Create customer'}
    submitLabel=${customer ? 'Save customer' : 'Create customer'}
    onSubmit=${save}
    onClose=${onClose}
  >
    ${
      !customer &&
      html`<${Field} id="customer-id" label="Customer id" required hint="The user field its model calls send." />`
    }
    <${Field} id="customer-alias" label="Name" defaultValue=${customer?.alias ?? ''} />
    <${Field} id="customer-default-model" label="Default model" defaultValue=${customer?.default_model ?? ''} />
    <${Select}
      id="customer-region"
      label="Allowed model region"
      value=${customer?.allowed_model_region ?? ''}
      options=${[
        ['', '(any)'],
        ['eu', 'eu'],
        ['us', 'us'],
      ]}
    />
    <${LimitFields} prefix="customer" value=${customer} />
  <//>`;
}
