// api.js: the ModelFleet REST client used by every view (shared API.md is the contract).
// The admin token lives in sessionStorage only and travels in the Authorization header, never in a URL.

const TOKEN_KEY = 'modelfleet.admin_token';
const DEFAULT_TIMEOUT_MS = 30000;
const UPLOAD_TIMEOUT_MS = 10 * 60 * 1000;

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An API failure: `code` is the API error code (or "network" / "timeout" / "bad_response"). */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.serverMessage = message || '';
    this.retryAfter = retryAfter;
  }
}

// What each error code means to the person at the screen; the server's own message is appended.
const PLAIN_WORDS = {
  unauthorized: 'The admin token was not accepted. Log in again with a valid token.',
  forbidden: 'This token is not allowed to do that; an admin token is needed.',
  not_found: 'That no longer exists; it may have been deleted meanwhile.',
  conflict: 'That clashes with the current state.',
  invalid_name:
    'That name is not allowed: use letters, digits, "_", "." or "-", start with a letter or digit, at most 64 characters.',
  invalid_input: 'The server could not use that input.',
  invalid_json: 'The request was malformed.',
  invalid_field: 'A field of the request is invalid.',
  bad_request: 'The request was malformed.',
  payload_too_large: 'The file is larger than the server accepts (256 MiB for artifacts, 64 MiB otherwise).',
  unsupported_media_type: 'The server does not accept that kind of file here.',
  overloaded: 'The cluster is busy right now; try again in a few seconds.',
  unavailable: 'No node can handle this right now (a worker or Redis may be down); try again shortly.',
  deadline_exceeded: 'The cluster took too long to answer; try again.',
  cancelled: 'The operation was cancelled.',
  network: 'Cannot reach the router. Check that it is running and that this page was loaded from it.',
  timeout: 'The router did not answer in time.',
  bad_response: 'The router sent an answer this page does not understand.',
};

/** Turns any error into one or two plain sentences for the screen. */
export function plainError(err) {
  if (!(err instanceof ApiError)) {
    return `Something went wrong in this page: ${err && err.message ? err.message : String(err)}`;
  }
  const base = PLAIN_WORDS[err.code] || `The request failed (HTTP ${err.status || '?'}).`;
  let text = base;
  if (err.serverMessage && err.serverMessage !== err.code) text += ` Details: ${err.serverMessage}`;
  if (err.code === 'overloaded' && err.retryAfter) text += ` (retry after ${err.retryAfter} s)`;
  return text;
}

function seg(name) {
  return encodeURIComponent(String(name));
}

function queryString(query) {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

let unauthorizedHandler = null;

/** Called with the ApiError whenever the router answers 401, so the shell can return to the login. */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

/**
 * One HTTP request. `json` sends a JSON body; `body` + `contentType` send raw bytes.
 * Resolves to the parsed JSON (null for an empty body) or, with `raw`, to the Response.
 */
export async function request(method, path, opts = {}) {
  const headers = { Accept: opts.raw ? '*/*' : 'application/json' };
  const token = opts.token !== undefined ? opts.token : getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = opts.contentType || 'application/octet-stream';
    body = opts.body;
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs || DEFAULT_TIMEOUT_MS);
  let res;
  try {
    res = await fetch(path + queryString(opts.query), {
      method,
      headers,
      body,
      signal: controller.signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (e) {
    clearTimeout(timer);
    if (e && e.name === 'AbortError') throw new ApiError(0, 'timeout', '');
    throw new ApiError(0, 'network', '');
  }
  try {
    if (!res.ok) throw await errorFrom(res);
    if (opts.raw) return res;
    const text = await res.text();
    if (!text) return null;
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(res.status, 'bad_response', 'the answer is not JSON');
    }
  } finally {
    clearTimeout(timer);
  }
}

async function errorFrom(res) {
  let code = `http_${res.status}`;
  let message = '';
  try {
    const parsed = JSON.parse(await res.text());
    if (parsed && parsed.error) {
      code = parsed.error.code || code;
      message = parsed.error.message || '';
    }
  } catch {
    // Not an API error envelope (a proxy page, say): keep the HTTP status.
  }
  if (!PLAIN_WORDS[code]) {
    const byStatus = { 400: 'invalid_input', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found',
      409: 'conflict', 413: 'payload_too_large', 415: 'unsupported_media_type', 422: 'invalid_input',
      429: 'overloaded', 503: 'unavailable', 504: 'deadline_exceeded' };
    if (code.startsWith('http_') && byStatus[res.status]) code = byStatus[res.status];
  }
  const err = new ApiError(res.status, code, message, res.headers.get('Retry-After'));
  if (res.status === 401 && unauthorizedHandler) unauthorizedHandler(err);
  return err;
}

// ---- Tenants ----
export const listTenants = () => request('GET', '/v1/tenants').then((r) => (r && r.tenants) || []);
export const createTenant = (tenant, quota) =>
  request('PUT', `/v1/tenants/${seg(tenant)}`, quota ? { json: { quota } } : {});
export const deleteTenant = (tenant) => request('DELETE', `/v1/tenants/${seg(tenant)}`);

// ---- Models and versions ----
const modelPath = (t, m) => `/v1/tenants/${seg(t)}/models/${seg(m)}`;
export const listModels = (t) => request('GET', `/v1/tenants/${seg(t)}/models`).then((r) => (r && r.models) || []);
export const getModel = (t, m) => request('GET', modelPath(t, m));
export const deleteModel = (t, m) => request('DELETE', modelPath(t, m));
export const activateVersion = (t, m, v) => request('POST', `${modelPath(t, m)}/versions/${seg(v)}/activate`);
export const deleteVersion = (t, m, v, force) =>
  request('DELETE', `${modelPath(t, m)}/versions/${seg(v)}`, { query: force ? { force: 'true' } : null });
export const modelHistory = (t, m) =>
  request('GET', `${modelPath(t, m)}/history`).then((r) => (r && r.events) || []);

/** Fetches an artifact with the Authorization header; resolves to {blob, sha256}. */
export async function downloadArtifact(t, m, v) {
  const res = await request('GET', `${modelPath(t, m)}/versions/${seg(v)}/artifact`, {
    raw: true,
    timeoutMs: UPLOAD_TIMEOUT_MS,
  });
  return { blob: await res.blob(), sha256: res.headers.get('X-Artifact-Sha256') || '' };
}

export const uploadArtifact = (t, m, file, activate) =>
  request('POST', `${modelPath(t, m)}/versions`, {
    body: file,
    contentType: 'application/octet-stream',
    query: { activate },
    timeoutMs: UPLOAD_TIMEOUT_MS,
  });

// ---- Training and jobs ----
/** Trains from a CSV file: the body is the file itself, options go in the query (API.md "Training"). */
export function trainCsv(t, m, file, { algorithm, labelColumn, validationSplit, activate, params }) {
  const query = { algorithm, label_column: labelColumn, validation_split: validationSplit, activate };
  for (const [k, v] of Object.entries(params || {})) query[`param.${k}`] = v;
  return request('POST', `${modelPath(t, m)}/train`, {
    body: file,
    contentType: 'text/csv',
    query,
    timeoutMs: UPLOAD_TIMEOUT_MS,
  });
}

export const getJob = (id) => request('GET', `/v1/jobs/${seg(id)}`);
export const cancelJob = (id) => request('DELETE', `/v1/jobs/${seg(id)}`);
export const listJobs = (t, status) =>
  request('GET', `/v1/tenants/${seg(t)}/jobs`, { query: { status } }).then((r) => (r && r.jobs) || []);

// ---- Cluster ----
export const listNodes = () => request('GET', '/v1/cluster/nodes').then((r) => (r && r.nodes) || []);
export const drainNode = (n) => request('POST', `/v1/cluster/nodes/${seg(n)}/drain`);
export const undrainNode = (n) => request('POST', `/v1/cluster/nodes/${seg(n)}/undrain`);
export const getPlacement = (tenant) => request('GET', '/v1/cluster/placement', { query: { tenant } });

export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.\\-]{0,63}$';
const NAME_RE = new RegExp(NAME_PATTERN);
export function isValidName(name) {
  return NAME_RE.test(name) && name !== '.' && name !== '..';
}
