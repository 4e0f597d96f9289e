// models.js: the Models page: pick a tenant, list its models, and one model's versions with
// activate / delete / download / upload and a chart comparing a metric across versions.

import {
  activateVersion, deleteModel, deleteVersion, downloadArtifact, getModel, listModels, listTenants, modelHistory,
  plainError, uploadArtifact,
} from '../api.js';
import { metricChart } from '../chart.js';
import { busy, confirmDialog, h, notice, noticeArea, replace, saveBlob } from '../dom.js';
import { formatBytes, formatMetric, formatTime, historyVersion, metricEntries, primaryMetric, shortSha } from '../format.js';

export function mount(root, { params, navigate }) {
  const [tenant, model] = params;
  if (tenant && model) return mountModel(root, tenant, model, navigate);
  return mountList(root, tenant, navigate);
}

/** Tenant picker + the tenant's models with active version, algorithm and primary metric. */
function mountList(root, tenant, navigate) {
  const msg = noticeArea();
  const holder = h('div', { 'aria-live': 'polite' });
  const select = h('select', { id: 'models-tenant', name: 'tenant' }, h('option', { value: '' }, 'Choose a tenant…'));
  select.addEventListener('change', () => {
    if (select.value) navigate('models', select.value);
  });
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, tenant ? `Models of ${tenant}` : 'Models'),
      tenant ? h('a', { class: 'btn btn-primary', href: `#/train/${encodeURIComponent(tenant)}` }, 'Train a model') : null),
    h('div', { class: 'card' }, h('div', { class: 'field narrow' }, h('label', { for: 'models-tenant' }, 'Tenant'), select)),
    h('section', { class: 'card', 'aria-label': 'Models' }, msg, holder));

  listTenants().then((tenants) => {
    const names = tenants.map((t) => t.tenant).sort();
    if (tenant && !names.includes(tenant)) names.unshift(tenant);
    for (const n of names) select.append(h('option', { value: n, selected: n === tenant }, n));
    if (!tenant) {
      replace(holder, h('p', { class: 'empty' }, names.length ? 'Choose a tenant to see its models.' : 'No tenants yet: create one on the Tenants page.'));
    }
  }).catch((e) => notice(msg, 'error', `Could not load the tenants. ${plainError(e)}`));
  if (!tenant) return null;

  (async () => {
    notice(msg, 'info', 'Loading models…');
    let models;
    try {
      models = await listModels(tenant);
    } catch (e) {
      notice(msg, 'error', `Could not load the models of ${tenant}. ${plainError(e)}`);
      return;
    }
    notice(msg, 'info', '');
    if (models.length === 0) {
      replace(holder, h('p', { class: 'empty' }, `${tenant} has no models yet. `,
        h('a', { href: `#/train/${encodeURIComponent(tenant)}` }, 'Train one'), ' or upload an artifact from a model page.'));
      return;
    }
    models.sort((a, b) => String(a.model).localeCompare(String(b.model)));
    // The list has no metrics: fetch each model's versions for its active version's primary metric.
    const details = await Promise.all(models.map((m) => getModel(tenant, m.model).catch(() => null)));
    const rows = models.map((m, i) => {
      const d = details[i];
      const active = d && (d.versions || []).find((v) => v.version === (d.active_version ?? m.active_version));
      const pm = active ? primaryMetric(active.metrics, active.primary_metric) : null;
      return h('tr', { 'data-model': m.model },
        h('th', { scope: 'row', 'data-label': 'Model' }, h('a', { href: `#/models/${encodeURIComponent(tenant)}/${encodeURIComponent(m.model)}` }, m.model)),
        h('td', { 'data-label': 'Active version', class: 'num' }, m.active_version != null ? `v${m.active_version}` : 'none'),
        h('td', { 'data-label': 'Algorithm' }, m.algorithm || (active && active.algorithm) || '–'),
        h('td', { 'data-label': 'Primary metric' }, pm ? `${pm.name} ${formatMetric(pm.value)}` : '–'),
        h('td', { 'data-label': 'Versions', class: 'num' }, String(m.versions ?? (d ? (d.versions || []).length : '–'))),
        h('td', { 'data-label': 'Updated' }, formatTime(m.updated_at)));
    });
    replace(holder, h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'models-table' },
      h('caption', { class: 'sr-only' }, `Models of ${tenant}`),
      h('thead', {}, h('tr', {}, ...['Model', 'Active version', 'Algorithm', 'Primary metric', 'Versions', 'Updated']
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows))));
  })();
  return null;
}

/** One model: versions with actions, upload, compare chart, activation history. */
function mountModel(root, tenant, model, navigate) {
  const msg = noticeArea();
  const summary = h('p', { class: 'muted', id: 'model-summary' });
  const versionsHolder = h('div');
  const chartHolder = h('div');
  const historyHolder = h('div');
  const tenantUrl = `#/models/${encodeURIComponent(tenant)}`;
  let alive = true;

  // Upload form (artifact file picker).
  const fileInput = h('input', { id: 'upload-file', type: 'file', name: 'artifact', required: true });
  const activateSel = h('select', { id: 'upload-activate', name: 'activate' },
    h('option', { value: 'never' }, 'Keep the current active version'),
    h('option', { value: 'always' }, 'Make it the active version'));
  const uploadBtn = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Upload artifact');
  const uploadMsg = noticeArea();
  const uploadForm = h('form', { class: 'card', 'aria-labelledby': 'upload-title' },
    h('h2', { id: 'upload-title' }, 'Upload an artifact'),
    h('p', { class: 'muted small' }, 'A .mfm file as downloaded from a version. It becomes a new version.'),
    h('div', { class: 'row' },
      h('div', { class: 'field grow' }, h('label', { for: 'upload-file' }, 'Artifact file'), fileInput),
      h('div', { class: 'field' }, h('label', { for: 'upload-activate' }, 'After upload'), activateSel),
      h('div', { class: 'field' }, uploadBtn)),
    uploadMsg);
  uploadForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const file = fileInput.files && fileInput.files[0];
    if (!file) {
      notice(uploadMsg, 'error', 'Choose an artifact file first.');
      return;
    }
    notice(uploadMsg, 'info', `Uploading ${file.name} (${formatBytes(file.size)})…`);
    try {
      const res = await busy(uploadBtn, () => uploadArtifact(tenant, model, file, activateSel.value));
      notice(uploadMsg, 'ok', `Uploaded as version ${res && res.version}.`);
      fileInput.value = '';
      await refresh();
    } catch (e) {
      notice(uploadMsg, 'error', e.code === 'invalid_input'
        ? `That file is not a valid ModelFleet artifact; nothing was stored. ${e.serverMessage ? `Details: ${e.serverMessage}` : ''}`
        : `Upload failed. ${plainError(e)}`);
    }
  });

  const deleteModelBtn = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete model');
  deleteModelBtn.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Delete model ${model}?`,
      body: h('p', {}, `This deletes ${tenant}/${model} with all its versions and artifacts. It cannot be undone.`),
      confirmLabel: 'Delete model', danger: true,
    });
    if (!ok) return;
    try {
      await busy(deleteModelBtn, () => deleteModel(tenant, model));
      navigate('models', tenant);
    } catch (e) {
      notice(msg, 'error', `Could not delete the model. ${plainError(e)}`);
    }
  });

  root.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/models' }, 'Models'), ' / ',
      h('a', { href: tenantUrl }, tenant), ' / ', h('span', { 'aria-current': 'page' }, model)),
    h('div', { class: 'page-head' }, h('h1', {}, `${tenant} / ${model}`),
      h('div', { class: 'btn-row' },
        h('a', { class: 'btn', href: `#/train/${encodeURIComponent(tenant)}/${encodeURIComponent(model)}` }, 'Train new version'),
        deleteModelBtn)),
    summary, msg,
    h('section', { class: 'card', 'aria-labelledby': 'versions-title' }, h('h2', { id: 'versions-title' }, 'Versions'), versionsHolder),
    h('section', { class: 'card', 'aria-labelledby': 'compare-title', id: 'compare' }, h('h2', { id: 'compare-title' }, 'Compare versions'), chartHolder),
    uploadForm,
    h('section', { class: 'card', 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, 'Activation history'), historyHolder));

  let chartMetric = null;

  async function refresh() {
    let detail;
    try {
      detail = await getModel(tenant, model);
    } catch (e) {
      if (!alive) return;
      notice(msg, 'error', e.code === 'not_found' ? `${tenant}/${model} does not exist (any more).` : `Could not load the model. ${plainError(e)}`);
      replace(versionsHolder);
      return;
    }
    if (!alive) return;
    notice(msg, 'info', '');
    const versions = (detail.versions || []).slice().sort((a, b) => b.version - a.version);
    const active = detail.active_version;
    const act = versions.find((v) => v.version === active);
    const pm = act ? primaryMetric(act.metrics, act.primary_metric) : null;
    summary.textContent = `Active version: ${active != null ? `v${active}` : 'none'} · ${versions.length} version(s)` +
      (act ? ` · ${act.algorithm || ''}` : '') + (pm ? ` · ${pm.name} ${formatMetric(pm.value)}` : '');
    renderVersions(versions, active);
    renderChart(versions, active, pm);
    modelHistory(tenant, model).then((events) => alive && renderHistory(events)).catch(() => replace(historyHolder,
      h('p', { class: 'muted' }, 'History is not available.')));
  }

  function renderVersions(versions, active) {
    if (versions.length === 0) {
      replace(versionsHolder, h('p', { class: 'empty' }, 'No versions yet.'));
      return;
    }
    const rows = versions.map((v) => {
      const isActive = v.version === active;
      const pm = primaryMetric(v.metrics, v.primary_metric);
      const metrics = metricEntries(v.metrics);
      const activateBtn = h('button', {
        type: 'button', class: 'btn btn-small', disabled: isActive, 'aria-label': `Activate version ${v.version}`,
      }, 'Activate');
      activateBtn.addEventListener('click', () => activate(v.version, activateBtn));
      const dlBtn = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `Download artifact of version ${v.version}` }, 'Download');
      dlBtn.addEventListener('click', () => download(v.version, dlBtn));
      const delBtn = h('button', { type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `Delete version ${v.version}` }, 'Delete');
      delBtn.addEventListener('click', () => remove(v.version, isActive, delBtn));
      return h('tr', { 'data-version': v.version, class: isActive ? 'row-active' : '' },
        h('th', { scope: 'row', 'data-label': 'Version' }, `v${v.version} `, isActive ? h('span', { class: 'badge badge-ok' }, 'active') : null),
        h('td', { 'data-label': 'Algorithm' }, v.algorithm || '–'),
        h('td', { 'data-label': 'Metrics' }, metrics.length
          ? h('ul', { class: 'metrics' }, metrics.map(([k, val]) => h('li', { class: pm && pm.name === k ? 'metric-primary' : '' },
            h('span', { class: 'metric-name' }, k), ' ', formatMetric(val))))
          : '–'),
        h('td', { 'data-label': 'Size', class: 'num' }, formatBytes(v.size_bytes)),
        h('td', { 'data-label': 'SHA-256' }, h('code', { class: 'sha', title: v.sha256 || '', 'data-sha256': v.sha256 || '' }, shortSha(v.sha256))),
        h('td', { 'data-label': 'Source', class: 'source' }, v.source || '–'),
        h('td', { 'data-label': 'Created' }, formatTime(v.created_at)),
        h('td', { class: 'actions-cell' }, activateBtn, dlBtn, delBtn));
    });
    replace(versionsHolder, h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'versions-table' },
      h('caption', { class: 'sr-only' }, `Versions of ${model}`),
      h('thead', {}, h('tr', {}, ...['Version', 'Algorithm', 'Metrics', 'Size', 'SHA-256', 'Source', 'Created']
        .map((c) => h('th', { scope: 'col' }, c)), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
      h('tbody', {}, rows))));
  }

  function renderChart(versions, active, pm) {
    const names = new Set();
    for (const v of versions) for (const [k] of metricEntries(v.metrics)) names.add(k);
    if (names.size === 0) {
      replace(chartHolder, h('p', { class: 'empty' }, 'No version has metrics to compare (uploaded artifacts may carry none).'));
      return;
    }
    if (!chartMetric || !names.has(chartMetric)) chartMetric = pm && names.has(pm.name) ? pm.name : [...names][0];
    const select = h('select', { id: 'compare-metric' }, [...names].sort().map((n) => h('option', { value: n, selected: n === chartMetric }, n)));
    select.addEventListener('change', () => {
      chartMetric = select.value;
      renderChart(versions, active, pm);
    });
    const points = versions.filter((v) => v.metrics && typeof v.metrics[chartMetric] === 'number')
      .map((v) => ({ version: v.version, value: v.metrics[chartMetric], active: v.version === active }))
      .sort((a, b) => a.version - b.version);
    replace(chartHolder,
      h('div', { class: 'field narrow' }, h('label', { for: 'compare-metric' }, 'Metric'), select),
      points.length ? metricChart(points, chartMetric, chartHolder.clientWidth) : h('p', { class: 'empty' }, `No version has ${chartMetric}.`),
      h('p', { class: 'muted small' }, 'The larger dot is the active version. Hover a dot for its value.'));
  }

  function renderHistory(events) {
    if (!events.length) {
      replace(historyHolder, h('p', { class: 'empty' }, 'No activations yet.'));
      return;
    }
    replace(historyHolder, h('ol', { class: 'history' }, events.slice(0, 20).map((e) =>
      h('li', {}, h('time', { datetime: e.at || '' }, formatTime(e.at)), ` ${historyVersion(e.from)} → ${historyVersion(e.to)} · ${e.reason || ''} · by ${e.by || '?'}`))));
  }

  async function activate(version, btn) {
    notice(msg, 'info', `Activating version ${version}…`);
    try {
      await busy(btn, () => activateVersion(tenant, model, version));
      notice(msg, 'ok', `Version ${version} is now active.`);
    } catch (e) {
      notice(msg, 'error', `Could not activate version ${version}. ${plainError(e)}`);
    }
    await refresh();
  }

  async function download(version, btn) {
    notice(msg, 'info', `Downloading version ${version}…`);
    try {
      const { blob } = await busy(btn, () => downloadArtifact(tenant, model, version));
      saveBlob(blob, `${tenant}-${model}-v${version}.mfm`);
      notice(msg, 'ok', `Downloaded version ${version} (${formatBytes(blob.size)}).`);
    } catch (e) {
      notice(msg, 'error', `Could not download version ${version}. ${plainError(e)}`);
    }
  }

  async function remove(version, isActive, btn) {
    const ok = await confirmDialog({
      title: `Delete version ${version}?`,
      body: isActive
        ? [h('p', {}, h('strong', {}, 'This is the active version. '), 'Deleting it forces the deletion; the model then has no active version and predictions without an explicit version fail until another is activated.')]
        : h('p', {}, `This deletes version ${version} and its artifact. It cannot be undone.`),
      confirmLabel: isActive ? 'Force delete active version' : 'Delete version',
      danger: true,
    });
    if (!ok) return;
    try {
      await busy(btn, () => deleteVersion(tenant, model, version, isActive));
      notice(msg, 'ok', `Version ${version} deleted.`);
    } catch (e) {
      notice(msg, 'error', e.code === 'conflict'
        ? `Version ${version} is active now; delete it again to force.`
        : `Could not delete version ${version}. ${plainError(e)}`);
    }
    await refresh();
  }

  refresh();
  return () => {
    alive = false;
  };
}
