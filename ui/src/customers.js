import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api } from './api.js';
import {
  Alert,
  count,
  ConfirmDialog,
  Field,
  FormDialog,
  Pager,
  Select,
  Table,
  pageOf,
  usd,
  useLoad,
  useMayWrite,
} from './components.js';
import { LimitFields, limitBody, limitSummary } from './limits.js';

const SIZE = 25;
const post = (path, body) => api(path, { method: 'POST', body });

/**
 * The Customers page: LiteLLM's end users, the `user` field of model calls. List, create, edit limits,
 * block/unblock, delete with confirmation.
 */
export function Customers() {
  const write = useMayWrite();
  const [page, setPage] = useState(1);
  const [dialog, setDialog] = useState(null);
  const { data, error, setError, reload } = useLoad(() => api('/customer/list'), []);
  const close = () => setDialog(null);
  const act = (path, id) =>
    post(path, { user_ids: [id] })
      .then(reload)
      .catch((err) => setError(err.message));
  const name = (c) => c.alias ?? c.user_id;
  const rows = data ?? [];

  return html`<h1>Customers</h1>
    <p>End users: the <code>user</code> field of a model call.</p>
    <${Alert} message=${error} />
    ${write && html`<button type="button" onClick=${() => setDialog({ kind: 'edit' })}>Create customer</button>`}
    ${
      data === null
        ? !error && html`<p>Loading…</p>`
        : html`<${Table}
              caption=${count(rows.length, 'customer')}
              head=${['Customer', 'Models', 'Default model', 'Region', 'Spend', 'Budget', 'Limits', 'Status', 'Actions']}
            >
              ${pageOf(rows, page, SIZE).map(
                (c) =>
                  html`<tr key=${c.user_id}>
                    <th scope="row">${name(c)}${c.alias && html`<br /><small>${c.user_id}</small>`}</th>
                    <td>${c.models.length ? c.models.join(', ') : 'all'}</td>
                    <td>${c.default_model ?? ''}</td>
                    <td>${c.allowed_model_region ?? ''}</td>
                    <td>${usd(c.spend)}</td>
                    <td>${usd(c.max_budget)}</td>
                    <td>${limitSummary(c)}</td>
                    <td>${c.blocked ? 'blocked' : 'active'}</td>
                    <td class="actions">
                      ${
                        write &&
                        html`<button
                            type="button"
                            aria-label=${`Edit customer ${name(c)}`}
                            onClick=${() => setDialog({ kind: 'edit', customer: c })}
                          >
                            Edit
                          </button>
                          <button
                            type="button"
                            aria-label=${`${c.blocked ? 'Unblock' : 'Block'} customer ${name(c)}`}
                            onClick=${() => act(c.blocked ? '/customer/unblock' : '/customer/block', c.user_id)}
                          >
                            ${c.blocked ? 'Unblock' : 'Block'}
                          </button>
                          <button
                            type="button"
                            class="danger"
                            aria-label=${`Delete customer ${name(c)}`}
                            onClick=${() => setDialog({ kind: 'delete', customer: c })}
                          >
                            Delete
                          </button>`
                      }
                    </td>
                  </tr>`,
              )}
            <//>
            <${Pager} label="Customer pages" page=${page} pages=${Math.ceil(rows.length / SIZE)} onPage=${setPage} />`
    }
    ${dialog?.kind === 'edit' && html`<${CustomerForm} customer=${dialog.customer} onClose=${close} onSaved=${reload} />`}
    ${
      dialog?.kind === 'delete' &&
      html`<${ConfirmDialog}
        title=${`Delete customer ${name(dialog.customer)}?`}
        message="The customer and its limits are deleted; its past spend stays in the logs."
        confirmLabel="Confirm delete"
        onConfirm=${() => post('/customer/delete', { user_ids: [dialog.customer.user_id] }).then(reload)}
        onClose=${close}
      />`
    }`;
}

function CustomerForm({ customer, onClose, onSaved }) {
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
