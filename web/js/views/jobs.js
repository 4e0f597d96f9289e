// jobs.js: the Jobs page: recent jobs of every tenant (API.md lists jobs per tenant, so this
// aggregates), with status, live progress and a cancel button; refreshes every few seconds.

import { cancelJob, listJobs, listTenants, plainError } from '../api.js';
import { busy, confirmDialog, h, keepFocus, notice, noticeArea, progressBar, replace } from '../dom.js';
import { formatMetric, formatTime, jobError, primaryMetric, TERMINAL_JOB_STATES } from '../format.js';

const REFRESH_MS = 2000;
const MAX_ROWS = 200;
const CONCURRENCY = 6;

export function mount(root) {
  const msg = noticeArea();
  const holder = h('div');
  const stamp = h('span', { class: 'muted small', id: 'jobs-updated' });
  const tenantSel = h('select', { id: 'jobs-tenant' }, h('option', { value: '' }, 'All tenants'));
  const statusSel = h('select', { id: 'jobs-status' },
    ['', 'queued', 'running', 'succeeded', 'failed', 'cancelled'].map((s) => h('option', { value: s }, s || 'Any status')));
  const auto = h('input', { id: 'jobs-auto', type: 'checkbox', checked: true });
  let timer = null;
  let alive = true;
  let knownTenants = [];

  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Jobs'), h('button', { type: 'button', class: 'btn', onclick: () => refresh() }, 'Refresh')),
    h('div', { class: 'card row' },
      h('div', { class: 'field' }, h('label', { for: 'jobs-tenant' }, 'Tenant'), tenantSel),
      h('div', { class: 'field' }, h('label', { for: 'jobs-status' }, 'Status'), statusSel),
      h('div', { class: 'field checkbox' }, auto, h('label', { for: 'jobs-auto' }, 'Auto-refresh')),
      stamp),
    h('section', { class: 'card', 'aria-label': 'Jobs' }, msg, holder));
  tenantSel.addEventListener('change', () => refresh());
  statusSel.addEventListener('change', () => refresh());
  auto.addEventListener('change', () => schedule());

  async function refresh() {
    if (timer) clearTimeout(timer);
    timer = null;
    let tenants;
    try {
      tenants = (await listTenants()).map((t) => t.tenant).sort();
    } catch (e) {
      if (!alive) return;
      notice(msg, 'error', `Could not load the jobs. ${plainError(e)}`);
      schedule();
      return;
    }
    if (!alive) return;
    if (tenants.join('\n') !== knownTenants.join('\n')) {
      knownTenants = tenants;
      const keep = tenantSel.value;
      replace(tenantSel, h('option', { value: '' }, 'All tenants'), tenants.map((t) => h('option', { value: t, selected: t === keep }, t)));
    }
    const wanted = tenantSel.value ? [tenantSel.value] : tenants;
    const jobs = [];
    const failed = [];
    let next = 0;
    // Bounded parallelism: one request per tenant, at most CONCURRENCY in flight.
    const worker = async () => {
      while (next < wanted.length) {
        const t = wanted[next++];
        try {
          for (const j of await listJobs(t, statusSel.value || undefined)) jobs.push({ tenant: t, ...j });
        } catch (e) {
          if (e.code !== 'not_found') failed.push(`${t}: ${plainError(e)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, wanted.length) }, worker));
    if (!alive) return;
    notice(msg, failed.length ? 'error' : 'info', failed.length ? `Some jobs could not be loaded. ${failed.slice(0, 3).join(' ')}` : '');
    jobs.sort((a, b) => String(b.created_at || '').localeCompare(String(a.created_at || '')));
    keepFocus(holder, () => render(jobs, tenants.length));
    stamp.textContent = `Updated ${formatTime(new Date().toISOString())}`;
    schedule();
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    // One request per tenant per refresh: slow down on clusters with many tenants.
    const every = Math.max(REFRESH_MS, (tenantSel.value ? 1 : knownTenants.length) * 50);
    timer = alive && auto.checked ? setTimeout(refresh, every) : null;
  }

  function render(jobs, nTenants) {
    if (jobs.length === 0) {
      replace(holder, h('p', { class: 'empty' }, nTenants === 0 ? 'No tenants, so no jobs yet.' : 'No jobs match.'));
      return;
    }
    const rows = jobs.slice(0, MAX_ROWS).map((j) => {
      const active = !TERMINAL_JOB_STATES.has(j.status);
      const pm = primaryMetric(j.metrics, j.primary_metric);
      const bar = progressBar(j.status === 'succeeded' ? 1 : j.progress, `Progress of job ${j.job_id}`);
      bar.dataset.status = j.status || '';
      let cancel = null;
      if (active) {
        cancel = h('button', { type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `Cancel job ${j.job_id}` }, 'Cancel');
        cancel.addEventListener('click', () => cancelOne(j, cancel));
      }
      return h('tr', { 'data-job': j.job_id, 'data-status': j.status },
        h('th', { scope: 'row', 'data-label': 'Job' }, h('code', {}, String(j.job_id).slice(0, 12))),
        h('td', { 'data-label': 'Model' }, h('a', { href: `#/models/${encodeURIComponent(j.tenant)}/${encodeURIComponent(j.model || '')}` }, `${j.tenant}/${j.model || '?'}`)),
        h('td', { 'data-label': 'Algorithm' }, j.algorithm || '–'),
        h('td', { 'data-label': 'Status' }, h('span', { class: `badge badge-${j.status}` }, j.status || '?'),
          j.status === 'failed' && jobError(j.error) ? h('span', { class: 'small muted job-error' }, ` ${jobError(j.error)}`) : null),
        h('td', { 'data-label': 'Progress', class: 'progress-cell' }, bar),
        h('td', { 'data-label': 'Result' }, j.status === 'succeeded'
          ? `v${j.version ?? '?'}${j.activated ? ' (activated)' : ''}${pm ? ` · ${pm.name} ${formatMetric(pm.value)}` : ''}` : '–'),
        h('td', { 'data-label': 'Node' }, j.node || '–'),
        h('td', { 'data-label': 'Created' }, formatTime(j.created_at)),
        h('td', { class: 'actions-cell' }, cancel));
    });
    replace(holder,
      jobs.length > MAX_ROWS ? h('p', { class: 'muted small' }, `Showing the newest ${MAX_ROWS} of ${jobs.length} jobs.`) : null,
      h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'jobs-table' },
        h('caption', { class: 'sr-only' }, 'Recent jobs'),
        h('thead', {}, h('tr', {}, ...['Job', 'Model', 'Algorithm', 'Status', 'Progress', 'Result', 'Node', 'Created']
          .map((c) => h('th', { scope: 'col' }, c)), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions')))),
        h('tbody', {}, rows))));
  }

  async function cancelOne(job, btn) {
    const ok = await confirmDialog({
      title: 'Cancel this job?',
      body: h('p', {}, `Job ${job.job_id} (${job.tenant}/${job.model}) stops; no version is stored.`),
      confirmLabel: 'Cancel job', danger: true,
    });
    if (!ok) return;
    try {
      await busy(btn, () => cancelJob(job.job_id));
      notice(msg, 'ok', `Job ${job.job_id} cancelled.`);
    } catch (e) {
      notice(msg, 'error', e.code === 'conflict' ? `Job ${job.job_id} had already finished.` : `Could not cancel the job. ${plainError(e)}`);
    }
    refresh();
  }

  refresh();
  return () => {
    alive = false;
    if (timer) clearTimeout(timer);
  };
}
