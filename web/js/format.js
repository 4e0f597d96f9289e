// format.js: pure formatting helpers (bytes, times, metrics); no DOM, so node's test runner can import it.
// Stateless and side-effect free.

export function formatBytes(n) {
  const v = Number(n);
  if (!Number.isFinite(v) || v < 0) return '–';
  if (v < 1024) return `${v} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i += 1;
  }
  return `${x < 10 ? x.toFixed(1) : Math.round(x)} ${units[i]}`;
}

export function formatTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const pad = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(
    d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "4 s ago", "3 min ago", ... relative to `now` (ms since epoch). */
export function formatAge(iso, now = Date.now()) {
  if (!iso) return 'never';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return String(iso);
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function formatMetric(v) {
  if (v === null || v === undefined) return '–';
  const x = Number(v);
  if (!Number.isFinite(x)) return String(v);
  if (x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3)) return x.toExponential(3);
  return String(Number(x.toFixed(4)));
}

export function shortSha(sha) {
  return sha ? String(sha).slice(0, 12) : '–';
}

// Used when metrics do not name their primary metric (the router's job results do not; its versions
// do). The cluster's primaries first: accuracy for classifiers, rmse for regressors, inertia for
// kmeans; a classifier's metrics never hold rmse and a regressor's never accuracy.
const PRIMARY_FALLBACK = ['accuracy', 'rmse', 'inertia', 'auc', 'f1', 'r2', 'mae', 'precision', 'recall'];

/**
 * The primary metric of a metrics object as {name, value} (or null). API.md: metrics carry
 * `primary` naming the deciding metric; accept it as a name, or as a value, or a
 * `primary_metric` field next to the metrics.
 */
export function primaryMetric(metrics, primaryName) {
  if (!metrics || typeof metrics !== 'object') return null;
  const numeric = (k) => typeof metrics[k] === 'number' && Number.isFinite(metrics[k]);
  let name = primaryName || (typeof metrics.primary === 'string' ? metrics.primary : null);
  if (name && numeric(name)) return { name, value: metrics[name] };
  if (typeof metrics.primary === 'number') {
    const match = Object.keys(metrics).find((k) => k !== 'primary' && metrics[k] === metrics.primary);
    return { name: match || 'primary', value: metrics.primary };
  }
  name = PRIMARY_FALLBACK.find(numeric) || Object.keys(metrics).find((k) => k !== 'primary' && numeric(k));
  return name ? { name, value: metrics[name] } : null;
}

/** Metric entries to display, without the `primary` marker. */
export function metricEntries(metrics) {
  if (!metrics || typeof metrics !== 'object') return [];
  return Object.entries(metrics).filter(([k, v]) => k !== 'primary' && typeof v === 'number');
}

/** A failed job's reason: the router sends a string; an {code, message} object is accepted too. */
export function jobError(error) {
  if (error === null || error === undefined || error === '') return '';
  if (typeof error === 'string') return error;
  if (typeof error === 'object') return String(error.message || error.code || '');
  return String(error);
}

/** A history event's version: 0 (or null) means there was none (the first activation). */
export function historyVersion(v) {
  return v === null || v === undefined || Number(v) === 0 ? 'none' : `v${v}`;
}

export const TERMINAL_JOB_STATES = new Set(['succeeded', 'failed', 'cancelled']);
