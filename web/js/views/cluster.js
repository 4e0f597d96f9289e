// cluster.js: the Cluster page: nodes (role, state, load, heartbeat) with drain/undrain, and the
// tenant placement; refreshes every few seconds while shown.

import { drainNode, getPlacement, listNodes, listTenants, plainError, undrainNode } from '../api.js';
import { busy, confirmDialog, h, keepFocus, notice, noticeArea, replace } from '../dom.js';
import { formatAge, formatBytes, formatTime } from '../format.js';

const REFRESH_MS = 3000;
const MAX_PLACEMENT_ROWS = 300;

export function mount(root) {
  const msg = noticeArea();
  const nodesHolder = h('div');
  const placementHolder = h('div');
  const placementMsg = noticeArea();
  const stamp = h('span', { class: 'muted small', id: 'cluster-updated' });
  const auto = h('input', { id: 'cluster-auto', type: 'checkbox', checked: true });
  const tenantSel = h('select', { id: 'placement-tenant' }, h('option', { value: '' }, 'All tenants'));
  let timer = null;
  let alive = true;
  let knownTenants = '';

  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Cluster'),
      h('div', { class: 'btn-row' },
        h('div', { class: 'field checkbox' }, auto, h('label', { for: 'cluster-auto' }, 'Auto-refresh')),
        h('button', { type: 'button', class: 'btn', onclick: () => refresh() }, 'Refresh'))),
    stamp, msg,
    h('section', { class: 'card', 'aria-labelledby': 'nodes-title' }, h('h2', { id: 'nodes-title' }, 'Nodes'), nodesHolder),
    h('section', { class: 'card', 'aria-labelledby': 'placement-title' }, h('h2', { id: 'placement-title' }, 'Placement'),
      h('div', { class: 'field narrow' }, h('label', { for: 'placement-tenant' }, 'Tenant'), tenantSel), placementMsg, placementHolder));
  auto.addEventListener('change', () => schedule());
  tenantSel.addEventListener('change', () => refresh());

  async function refresh() {
    if (timer) clearTimeout(timer);
    timer = null;
    const [nodes, placement, tenants] = await Promise.allSettled([listNodes(), getPlacement(tenantSel.value || undefined), listTenants()]);
    if (!alive) return;
    if (nodes.status === 'fulfilled') {
      notice(msg, 'info', '');
      keepFocus(nodesHolder, () => renderNodes(nodes.value));
    } else {
      notice(msg, 'error', `Could not load the nodes. ${plainError(nodes.reason)}`);
    }
    if (tenants.status === 'fulfilled') {
      const names = tenants.value.map((t) => t.tenant).sort();
      if (names.join('\n') !== knownTenants) {
        knownTenants = names.join('\n');
        const keep = tenantSel.value;
        replace(tenantSel, h('option', { value: '' }, 'All tenants'), names.map((n) => h('option', { value: n, selected: n === keep }, n)));
      }
    }
    if (placement.status === 'fulfilled') {
      notice(placementMsg, 'info', '');
      renderPlacement(placement.value || {});
    } else {
      notice(placementMsg, 'error', `Could not load the placement. ${plainError(placement.reason)}`);
    }
    stamp.textContent = `Updated ${formatTime(new Date().toISOString())}`;
    schedule();
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = alive && auto.checked ? setTimeout(refresh, REFRESH_MS) : null;
  }

  function renderNodes(nodes) {
    if (nodes.length === 0) {
      replace(nodesHolder, h('p', { class: 'empty' }, 'No nodes have registered yet. Start a worker (ops/up) and it appears here.'));
      return;
    }
    const order = { router: 0, coordinator: 1, worker: 2 };
    nodes.sort((a, b) => (order[a.role] ?? 3) - (order[b.role] ?? 3) || String(a.node).localeCompare(String(b.node)));
    const now = Date.now();
    const rows = nodes.map((n) => {
      let action = null;
      if (n.role === 'worker' && n.state !== 'down') {
        const draining = n.state === 'draining';
        action = h('button', {
          type: 'button', class: draining ? 'btn btn-small' : 'btn btn-small btn-danger',
          'aria-label': `${draining ? 'Undrain' : 'Drain'} node ${n.node}`,
        }, draining ? 'Undrain' : 'Drain');
        action.addEventListener('click', () => (draining ? undrain(n.node, action) : drain(n, action)));
      }
      return h('tr', { 'data-node': n.node, 'data-state': n.state },
        h('th', { scope: 'row', 'data-label': 'Node' }, n.node, n.address ? h('span', { class: 'node-addr small muted' }, n.address) : null),
        h('td', { 'data-label': 'Role' }, n.role || '–'),
        h('td', { 'data-label': 'State', class: 'state' }, h('span', { class: `badge badge-${n.state}` }, n.state || '?')),
        h('td', { 'data-label': 'Tenants', class: 'num' }, n.tenants ?? '–'),
        h('td', { 'data-label': 'Models loaded', class: 'num' }, n.models_loaded ?? '–'),
        h('td', { 'data-label': 'Memory', class: 'num' }, n.memory_bytes != null ? formatBytes(n.memory_bytes) : '–'),
        h('td', { 'data-label': 'In flight', class: 'num' }, n.inflight ?? '–'),
        h('td', { 'data-label': 'Last heartbeat' }, h('time', { datetime: n.last_heartbeat || '', title: formatTime(n.last_heartbeat) }, formatAge(n.last_heartbeat, now))),
        h('td', { class: 'actions-cell' }, action));
    });
    replace(nodesHolder, h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'nodes-table' },
      h('caption', { class: 'sr-only' }, 'Nodes'),
      h('thead', {}, h('tr', {}, ...['Node', 'Role', 'State', 'Tenants', 'Models loaded', 'Memory', 'In flight', 'Last heartbeat']
        .map((c) => h('th', { scope: 'col' }, c)), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, rows))));
  }

  function renderPlacement(p) {
    const entries = Object.entries(p.tenants || {}).sort(([a], [b]) => a.localeCompare(b));
    const head = h('p', { class: 'muted small', id: 'placement-meta' }, `Epoch ${p.epoch ?? '–'} · ${p.replicas ?? '–'} replica(s) per tenant`);
    if (entries.length === 0) {
      replace(placementHolder, head, h('p', { class: 'empty' }, 'No tenant is placed yet.'));
      return;
    }
    const rows = entries.slice(0, MAX_PLACEMENT_ROWS).map(([t, nodes]) => h('tr', { 'data-tenant': t },
      h('th', { scope: 'row', 'data-label': 'Tenant' }, t),
      h('td', { 'data-label': 'Nodes' }, (nodes || []).length ? h('ul', { class: 'chips' }, nodes.map((n) => h('li', {}, n))) : h('span', { class: 'badge badge-down' }, 'unplaced'))));
    replace(placementHolder, head,
      entries.length > MAX_PLACEMENT_ROWS ? h('p', { class: 'muted small' }, `Showing ${MAX_PLACEMENT_ROWS} of ${entries.length}; pick a tenant to see one.`) : null,
      h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'placement-table' },
        h('caption', { class: 'sr-only' }, 'Placement'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Tenant'), h('th', { scope: 'col' }, 'Nodes'))),
        h('tbody', {}, rows))));
  }

  async function drain(n, btn) {
    const ok = await confirmDialog({
      title: `Drain ${n.node}?`,
      body: h('p', {}, `Its ${n.tenants ?? 'hosted'} tenant(s) move to other workers, then it serves nothing new. Undrain brings it back.`),
      confirmLabel: 'Drain node', danger: true,
    });
    if (!ok) return;
    try {
      await busy(btn, () => drainNode(n.node));
      notice(msg, 'ok', `Draining ${n.node}.`);
    } catch (e) {
      notice(msg, 'error', `Could not drain ${n.node}. ${plainError(e)}`);
    }
    refresh();
  }

  async function undrain(node, btn) {
    try {
      await busy(btn, () => undrainNode(node));
      notice(msg, 'ok', `${node} takes tenants again.`);
    } catch (e) {
      notice(msg, 'error', `Could not undrain ${node}. ${plainError(e)}`);
    }
    refresh();
  }

  refresh();
  return () => {
    alive = false;
    if (timer) clearTimeout(timer);
  };
}
