// tenants.js: the Tenants page: list with model counts, create (API key shown once), delete.
// Owns no timers; everything it shows comes from GET /v1/tenants.

import { createTenant, deleteTenant, isValidName, listTenants, plainError } from '../api.js';
import { busy, confirmDialog, h, notice, noticeArea, replace } from '../dom.js';
import { formatTime } from '../format.js';

export function mount(root, { navigate }) {
  const msg = noticeArea();
  const listMsg = noticeArea();
  const keyPanel = h('div', { id: 'new-key', hidden: true });
  const tableHolder = h('div', { 'aria-live': 'polite' });
  const nameInput = h('input', {
    id: 'new-tenant', name: 'tenant', autocomplete: 'off', spellcheck: 'false', required: true, maxlength: '64',
    'aria-describedby': 'new-tenant-help',
  });
  const createBtn = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create tenant');
  const form = h('form', { class: 'card inline-form', 'aria-labelledby': 'create-tenant-title' },
    h('h2', { id: 'create-tenant-title' }, 'Create a tenant'),
    h('div', { class: 'row' },
      h('div', { class: 'field grow' }, h('label', { for: 'new-tenant' }, 'Tenant name'), nameInput),
      h('div', { class: 'field' }, createBtn)),
    h('p', { id: 'new-tenant-help', class: 'muted small' },
      'Letters, digits, "_", "." and "-"; starts with a letter or digit; at most 64 characters.'),
    msg, keyPanel);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = nameInput.value.trim();
    if (!isValidName(name)) {
      notice(msg, 'error', 'That name is not allowed: use letters, digits, "_", "." or "-", start with a letter or digit, at most 64 characters.');
      nameInput.focus();
      return;
    }
    notice(msg, 'info', `Creating ${name}…`);
    keyPanel.hidden = true;
    try {
      const res = await busy(createBtn, () => createTenant(name));
      notice(msg, 'ok', `Tenant ${name} created.`);
      nameInput.value = '';
      showKey(keyPanel, name, res && res.api_key);
      await refresh();
    } catch (e) {
      notice(msg, 'error', e.code === 'conflict' ? `A tenant named ${name} already exists.` : plainError(e));
    }
  });

  async function refresh() {
    try {
      const tenants = await listTenants();
      notice(listMsg, 'info', '');
      renderTable(tenants);
    } catch (e) {
      notice(listMsg, 'error', `Could not load the tenants. ${plainError(e)}`);
    }
  }

  function renderTable(tenants) {
    if (tenants.length === 0) {
      replace(tableHolder, h('p', { class: 'empty' }, 'No tenants yet. Create one above, or train a model (training creates its tenant).'));
      return;
    }
    tenants.sort((a, b) => String(a.tenant).localeCompare(String(b.tenant)));
    const rows = tenants.map((t) => {
      const del = h('button', { type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `Delete tenant ${t.tenant}` }, 'Delete');
      del.addEventListener('click', () => remove(t.tenant, t.models, del));
      return h('tr', { 'data-tenant': t.tenant },
        h('th', { scope: 'row', 'data-label': 'Tenant' }, h('a', { href: `#/models/${encodeURIComponent(t.tenant)}` }, t.tenant)),
        h('td', { 'data-label': 'Models', class: 'num' }, String(t.models ?? 0)),
        h('td', { 'data-label': 'Created' }, formatTime(t.created_at)),
        h('td', { class: 'actions-cell' },
          h('a', { class: 'btn btn-small', href: `#/train/${encodeURIComponent(t.tenant)}` }, 'Train'),
          del));
    });
    replace(tableHolder, h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'tenants-table' },
      h('caption', { class: 'sr-only' }, 'Tenants'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Tenant'), h('th', { scope: 'col', class: 'num' }, 'Models'),
        h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, rows))));
  }

  async function remove(tenant, nModels, btn) {
    const ok = await confirmDialog({
      title: `Delete tenant ${tenant}?`,
      body: [h('p', {}, `This deletes ${tenant}, its ${nModels ?? 0} model(s), every version and artifact, and its API keys.`),
        h('p', {}, 'It cannot be undone.')],
      confirmLabel: 'Delete tenant',
      danger: true,
    });
    if (!ok) return;
    try {
      await busy(btn, () => deleteTenant(tenant));
      notice(listMsg, 'ok', `Tenant ${tenant} deleted.`);
    } catch (e) {
      notice(listMsg, 'error', `Could not delete ${tenant}. ${plainError(e)}`);
    }
    await refresh();
  }

  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Tenants'),
      h('button', { type: 'button', class: 'btn', onclick: () => refresh() }, 'Refresh')),
    form,
    h('section', { class: 'card', 'aria-labelledby': 'tenant-list-title' },
      h('h2', { id: 'tenant-list-title' }, 'All tenants'), listMsg, tableHolder));
  refresh();
  void navigate;
  return null;
}

/** Shows a new API key once, with a copy button; the key is not kept anywhere else. */
function showKey(panel, tenant, key) {
  const keyInput = h('input', { id: 'new-key-value', readonly: true, value: key || '', spellcheck: 'false', 'aria-describedby': 'new-key-help' });
  const copyMsg = h('span', { class: 'muted small', role: 'status' });
  const copyBtn = h('button', { type: 'button', class: 'btn' }, 'Copy');
  copyBtn.addEventListener('click', async () => {
    copyMsg.textContent = (await copyText(keyInput)) ? 'Copied to the clipboard.' : 'Select the key and copy it by hand.';
  });
  const doneBtn = h('button', { type: 'button', class: 'btn btn-small' }, 'I have saved it');
  doneBtn.addEventListener('click', () => {
    panel.hidden = true;
    replace(panel);
  });
  replace(panel,
    h('div', { class: 'key-panel' },
      h('p', { id: 'new-key-help' }, h('strong', {}, `API key of ${tenant}. `),
        'It is shown only this once: copy it now and keep it safe.'),
      h('div', { class: 'row' }, h('label', { for: 'new-key-value', class: 'sr-only' }, 'API key'), keyInput, copyBtn),
      copyMsg, h('div', {}, doneBtn)));
  panel.hidden = false;
  keyInput.focus();
  keyInput.select();
}

async function copyText(input) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(input.value);
      return true;
    }
  } catch {
    // fall through to the selection-based copy (plain http on a remote host has no clipboard API)
  }
  input.focus();
  input.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}
