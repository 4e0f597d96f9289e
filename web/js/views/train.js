// train.js: the Train page: tenant/model/algorithm, a CSV file whose header gives the label
// column (read in the browser), split and activation policy; then the job's live progress and metrics.

import { cancelJob, getJob, isValidName, listModels, listTenants, plainError, trainCsv } from '../api.js';
import { countDataRows, guessLabelColumn, parseHeader } from '../csv.js';
import { busy, h, notice, noticeArea, progressBar, replace, setProgress } from '../dom.js';
import { formatBytes, formatMetric, jobError, metricEntries, primaryMetric, TERMINAL_JOB_STATES } from '../format.js';

export const ALGORITHMS = [
  ['auto', 'auto (try several, keep the best)'],
  ['logistic_regression', 'logistic regression (binary)'],
  ['linear_svm', 'linear SVM (binary)'],
  ['svm_rbf', 'SVM, RBF kernel (binary)'],
  ['random_forest', 'random forest'],
  ['multiclass_linear', 'multiclass linear'],
  ['mlp', 'multilayer perceptron'],
  ['linear_regression', 'linear regression'],
  ['krr_rbf', 'kernel ridge regression, RBF'],
  ['kmeans', 'k-means (no label)'],
];

const POLL_MS = 700;

export function mount(root, { params }) {
  const [preTenant, preModel] = params;
  const msg = noticeArea();
  const csvInfo = h('p', { id: 'csv-info', class: 'muted small', 'aria-live': 'polite' }, 'Pick a CSV file with a header row.');
  const jobHolder = h('section', { class: 'card', id: 'train-job', hidden: true, 'aria-labelledby': 'train-job-title' });
  let timer = null;
  let alive = true;
  // Bumped per started job so a poll still awaiting an older job's reply drops it.
  let watchGeneration = 0;

  const tenantInput = h('input', { id: 'train-tenant', name: 'tenant', list: 'train-tenant-list', autocomplete: 'off', spellcheck: 'false', required: true, value: preTenant || '' });
  const tenantList = h('datalist', { id: 'train-tenant-list' });
  const modelInput = h('input', { id: 'train-model', name: 'model', list: 'train-model-list', autocomplete: 'off', spellcheck: 'false', required: true, value: preModel || '' });
  const modelList = h('datalist', { id: 'train-model-list' });
  const algoSel = h('select', { id: 'train-algorithm', name: 'algorithm' },
    ALGORITHMS.map(([v, label]) => h('option', { value: v, selected: v === 'auto' }, label)));
  const fileInput = h('input', { id: 'train-file', name: 'csv', type: 'file', accept: '.csv,text/csv', required: true, 'aria-describedby': 'csv-info' });
  const labelSel = h('select', { id: 'train-label', name: 'label_column', disabled: true }, h('option', { value: '' }, '(pick a CSV file first)'));
  const splitInput = h('input', { id: 'train-split', name: 'validation_split', type: 'number', min: '0', max: '0.9', step: '0.05', value: '0.2', required: true });
  const activateSel = h('select', { id: 'train-activate', name: 'activate' },
    h('option', { value: 'if_better', selected: true }, 'if better than the active version'),
    h('option', { value: 'always' }, 'always'),
    h('option', { value: 'never' }, 'never (keep it inactive)'));
  const paramsInput = h('input', { id: 'train-params', name: 'params', autocomplete: 'off', spellcheck: 'false', placeholder: 'e.g. c=1.0, k=3', 'aria-describedby': 'train-params-help' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Start training');

  const form = h('form', { class: 'card', id: 'train-form', 'aria-labelledby': 'train-form-title', novalidate: true },
    h('h2', { id: 'train-form-title' }, 'New training job'),
    h('div', { class: 'grid2' },
      h('div', { class: 'field' }, h('label', { for: 'train-tenant' }, 'Tenant'), tenantInput, tenantList),
      h('div', { class: 'field' }, h('label', { for: 'train-model' }, 'Model'), modelInput, modelList),
      h('div', { class: 'field' }, h('label', { for: 'train-algorithm' }, 'Algorithm'), algoSel),
      h('div', { class: 'field' }, h('label', { for: 'train-file' }, 'Training data (CSV)'), fileInput, csvInfo),
      h('div', { class: 'field' }, h('label', { for: 'train-label' }, 'Label column'), labelSel),
      h('div', { class: 'field' }, h('label', { for: 'train-split' }, 'Validation split (0–0.9)'), splitInput),
      h('div', { class: 'field' }, h('label', { for: 'train-activate' }, 'Activate the new version'), activateSel),
      h('div', { class: 'field' }, h('label', { for: 'train-params' }, 'Parameters (optional)'), paramsInput,
        h('p', { id: 'train-params-help', class: 'muted small' }, 'name=value pairs separated by commas; unknown names are rejected.'))),
    msg,
    h('div', { class: 'actions' }, submit));

  listTenants().then((ts) => {
    for (const t of ts) tenantList.append(h('option', { value: t.tenant }));
  }).catch(() => {});
  const loadModels = () => {
    replace(modelList);
    const t = tenantInput.value.trim();
    if (!isValidName(t)) return;
    listModels(t).then((ms) => ms.forEach((m) => modelList.append(h('option', { value: m.model })))).catch(() => {});
  };
  tenantInput.addEventListener('change', loadModels);
  loadModels();

  algoSel.addEventListener('change', () => updateLabelOptions());
  let columns = [];
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files && fileInput.files[0];
    columns = [];
    if (!file) {
      csvInfo.textContent = 'Pick a CSV file with a header row.';
      updateLabelOptions();
      return;
    }
    try {
      // Only the start of the file is needed for the header; count rows only for modest files.
      const head = await file.slice(0, 256 * 1024).text();
      columns = parseHeader(head);
      let rows = '';
      if (file.size <= 16 * 1024 * 1024) rows = `, ${countDataRows(await file.text())} data rows`;
      csvInfo.textContent = columns.length
        ? `${file.name}: ${formatBytes(file.size)}, ${columns.length} columns${rows}.`
        : `${file.name} looks empty: the first row must name the columns.`;
    } catch (e) {
      csvInfo.textContent = `Could not read ${file.name}: ${e.message}`;
    }
    updateLabelOptions();
  });

  function updateLabelOptions() {
    const unsupervised = algoSel.value === 'kmeans';
    const previous = labelSel.value;
    replace(labelSel);
    if (columns.length === 0) {
      labelSel.append(h('option', { value: '' }, '(pick a CSV file first)'));
      labelSel.disabled = true;
      return;
    }
    if (unsupervised) labelSel.append(h('option', { value: '' }, '(none: k-means uses every column)'));
    for (const c of columns) labelSel.append(h('option', { value: c }, c));
    labelSel.disabled = false;
    if (unsupervised) labelSel.value = columns.includes(previous) ? previous : '';
    else labelSel.value = columns.includes(previous) ? previous : guessLabelColumn(columns);
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const tenant = tenantInput.value.trim();
    const model = modelInput.value.trim();
    const file = fileInput.files && fileInput.files[0];
    const split = Number(splitInput.value);
    const problems = [];
    if (!isValidName(tenant)) problems.push('the tenant name is not valid');
    if (!isValidName(model)) problems.push('the model name is not valid');
    if (!file) problems.push('no CSV file is chosen');
    else if (columns.length === 0) problems.push('the CSV file has no header row');
    if (algoSel.value !== 'kmeans' && !labelSel.value) problems.push('no label column is chosen');
    if (!(split >= 0 && split <= 0.9)) problems.push('the validation split must be between 0 and 0.9');
    let params;
    try {
      params = parseParams(paramsInput.value);
    } catch (e) {
      problems.push(e.message);
    }
    if (problems.length) {
      notice(msg, 'error', `Cannot start: ${problems.join('; ')}.`);
      return;
    }
    // The previous job's panel goes away first: its finished bar and metrics must never
    // be read as the outcome of the job being started now.
    if (timer) clearTimeout(timer);
    timer = null;
    watchGeneration += 1;
    replace(jobHolder);
    jobHolder.hidden = true;
    notice(msg, 'info', `Uploading ${file.name}…`);
    try {
      const res = await busy(submit, () => trainCsv(tenant, model, file, {
        algorithm: algoSel.value, labelColumn: labelSel.value || undefined, validationSplit: split, activate: activateSel.value, params,
      }));
      notice(msg, 'ok', `Job ${res.job_id} queued.`);
      watch(res.job_id, tenant, model);
    } catch (e) {
      notice(msg, 'error', `Training was not started. ${plainError(e)}`);
    }
  });

  function watch(jobId, tenant, model) {
    if (timer) clearTimeout(timer);
    const bar = progressBar(0, 'Training progress');
    bar.id = 'train-progress';
    const status = h('p', { id: 'train-status', role: 'status' }, 'queued');
    const result = h('div', { id: 'train-result' });
    const cancelBtn = h('button', { type: 'button', class: 'btn btn-small btn-danger' }, 'Cancel job');
    cancelBtn.addEventListener('click', async () => {
      try {
        await busy(cancelBtn, () => cancelJob(jobId));
      } catch (e) {
        status.textContent = e.code === 'conflict' ? 'The job had already finished.' : `Could not cancel: ${plainError(e)}`;
      }
    });
    replace(jobHolder, h('h2', { id: 'train-job-title' }, `Job ${jobId}`),
      h('p', { class: 'muted small' }, `${tenant} / ${model}`), bar, status, cancelBtn, result);
    jobHolder.hidden = false;
    let failures = 0;
    const generation = ++watchGeneration;
    const current = () => alive && generation === watchGeneration;
    const poll = async () => {
      if (!current()) return;
      let job;
      try {
        job = await getJob(jobId);
        failures = 0;
      } catch (e) {
        failures += 1;
        status.textContent = `Cannot read the job right now (${plainError(e)}); retrying…`;
        if (current() && failures < 30) timer = setTimeout(poll, POLL_MS * Math.min(failures, 5));
        return;
      }
      if (!current()) return;
      const terminal = TERMINAL_JOB_STATES.has(job.status);
      setProgress(bar, job.status === 'succeeded' ? 1 : job.progress, job.status);
      status.textContent = describeJob(job);
      if (terminal) {
        cancelBtn.hidden = true;
        replace(result, jobResult(job, tenant, model));
        return;
      }
      timer = setTimeout(poll, POLL_MS);
    };
    poll();
  }

  root.append(h('div', { class: 'page-head' }, h('h1', {}, 'Train')), form, jobHolder);
  return () => {
    alive = false;
    if (timer) clearTimeout(timer);
  };
}

/** "c=1.0, k=3" → {c: "1.0", k: "3"}; throws on a malformed pair. */
export function parseParams(text) {
  const out = {};
  for (const part of String(text || '').split(/[,\n]/)) {
    const p = part.trim();
    if (!p) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\S+)$/.exec(p);
    if (!m) throw new Error(`the parameter "${p}" is not name=value`);
    out[m[1]] = m[2];
  }
  return out;
}

export function describeJob(job) {
  const pct = Math.round((Number(job.progress) || 0) * 100);
  switch (job.status) {
    case 'queued': return 'Queued: waiting for a free training slot on a worker.';
    case 'running': return `Running on ${job.node || 'a worker'}: ${pct}%.`;
    case 'succeeded': return `Succeeded: version ${job.version ?? '?'}${job.activated ? ' is now active' : ' was stored (not activated)'}.`;
    case 'failed': return `Failed: ${jobError(job.error) || 'no reason given'}.`;
    case 'cancelled': return 'Cancelled.';
    default: return String(job.status || 'unknown');
  }
}

function jobResult(job, tenant, model) {
  if (job.status !== 'succeeded') return null;
  const pm = primaryMetric(job.metrics, job.primary_metric);
  const entries = metricEntries(job.metrics);
  return h('div', {},
    entries.length ? h('table', { class: 'table compact', id: 'train-metrics' },
      h('caption', {}, 'Validation metrics'),
      h('tbody', {}, entries.map(([k, v]) => h('tr', { class: pm && pm.name === k ? 'metric-primary' : '' },
        h('th', { scope: 'row' }, k + (pm && pm.name === k ? ' (primary)' : '')), h('td', { class: 'num' }, formatMetric(v))))))
      : h('p', { class: 'muted' }, 'No metrics reported.'),
    h('p', {}, h('a', { href: `#/models/${encodeURIComponent(tenant)}/${encodeURIComponent(model)}` }, `Open ${model}`)));
}
