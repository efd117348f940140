import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { post } from './api.js';
import { Alert, ConfirmDialog, count, Pager, Table, pageOf, useMayWrite } from './components.js';

/** Rows per page of the team, user and customer lists. */
export const PAGE_SIZE = 25;

/**
 * The page of one kind of object the API manages (teams, users, customers): its list in a table with paging, a
 * create button, and per row Edit, Block/Unblock (when `block` is given) and Delete (asked first). Write controls
 * are left out for a caller who may not write. What differs from kind to kind comes in as props:
 * - `noun` ("team") names it in captions, buttons and dialogs; `id`, `alias` and `name` read a row;
 * - `useList(page)` loads the list (a hook: useLoad), `list(data, page)` gives the rows shown and the pager's `page`,
 *   `pages` and `total`;
 * - `cells(row)` the row's cells between its name and its actions; `head` every column's heading;
 * - `Form` edits one (`item`) or creates one (no `item`); `remove(row)` and `removal` delete one;
 * - `block(row)` the path and body that block or unblock it; `extra` more row actions and their dialogs.
 */
export function ObjectPage(props) {
  const { title, noun, intro, useList, list, head, cells, id, alias, name, Form, remove, removal, block, extra } =
    props;
  const write = useMayWrite();
  const [page, setPage] = useState(1);
  const [dialog, setDialog] = useState(null);
  const { data, error, setError, reload } = useList(page);
  const close = () => setDialog(null);
  const act = ([path, body]) =>
    post(path, body)
      .then(reload)
      .catch((err) => setError(err.message));
  const button = (o, text, onClick, danger = false) =>
    html`<button
      type="button"
      class=${danger ? 'danger' : undefined}
      aria-label=${`${text} ${noun} ${name(o)}`}
      onClick=${onClick}
    >
      ${text}
    </button>`;
  const shown = data === null ? null : list(data, page);

  return html`<h1>${title}</h1>
    ${intro}
    <${Alert} message=${error} />
    ${write && html`<button type="button" onClick=${() => setDialog({ kind: 'edit' })}>Create ${noun}</button>`}
    ${
      shown === null
        ? !error && html`<p>Loading…</p>`
        : html`<${Table} caption=${count(shown.total, noun)} head=${head}>
              ${shown.rows.map(
                (o) =>
                  html`<tr key=${id(o)}>
                    <th scope="row">${alias(o) ?? id(o)}${alias(o) && html`<br /><small>${id(o)}</small>`}</th>
                    ${cells(o)}
                    <td class="actions">
                      ${extra?.actions(o, setDialog)}
                      ${
                        write && [
                          button(o, 'Edit', () => setDialog({ kind: 'edit', item: o })),
                          block && button(o, o.blocked ? 'Unblock' : 'Block', () => act(block(o))),
                          button(o, 'Delete', () => setDialog({ kind: 'delete', item: o }), true),
                        ]
                      }
                    </td>
                  </tr>`,
              )}
            <//>
            <${Pager}
              label=${`${noun[0].toUpperCase()}${noun.slice(1)} pages`}
              page=${shown.page}
              pages=${shown.pages}
              onPage=${setPage}
            />`
    }
    ${dialog?.kind === 'edit' && html`<${Form} item=${dialog.item} onClose=${close} onSaved=${reload} />`}
    ${extra?.dialog(dialog, data, close, reload)}
    ${
      dialog?.kind === 'delete' &&
      html`<${ConfirmDialog}
        title=${`Delete ${noun} ${name(dialog.item)}?`}
        message=${removal}
        confirmLabel="Confirm delete"
        onConfirm=${() => remove(dialog.item).then(reload)}
        onClose=${close}
      />`
    }`;
}

/** The list the API answers whole, shown a page at a time. */
export const wholeList = (rows, page) => ({
  rows: pageOf(rows, page, PAGE_SIZE),
  total: rows.length,
  page,
  pages: Math.ceil(rows.length / PAGE_SIZE),
});
