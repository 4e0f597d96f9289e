// mock_server.mjs: an in-memory stand-in for the ModelFleet router (shared API.md) for the admin UI
// tests: the routes the UI uses, error envelopes, jobs that progress over a few seconds, nodes and
// placement. It also serves web/ at /admin/ exactly as the router must. Node built-ins only.
//
//   node mock_server.mjs [--port 0] [--token secret] [--seed demo|empty] [--job-ms 2500]
//   import { startMock } from './mock_server.mjs'; const m = await startMock({ token }); m.url; await m.close();

import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const WEB_ROOT = path.resolve(HERE, '../../web');

export const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ALGORITHMS = new Set(['linear_regression', 'logistic_regression', 'linear_svm', 'svm_rbf', 'krr_rbf',
  'random_forest', 'multiclass_linear', 'kmeans', 'mlp', 'auto']);
const ARTIFACT_MAGIC = 'MFM1\n';
const MAX_BODY = 64 * 1024 * 1024;
const MAX_UPLOAD = 256 * 1024 * 1024;

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const now = () => new Date().toISOString();
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

function validName(n) {
  return NAME_RE.test(n) && n !== '.' && n !== '..';
}

/** FNV-1a, for the rendezvous placement and deterministic fake metrics. */
function hash32(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function createState({ seed = 'demo', jobMs = 2500, queueMs = 300 } = {}) {
  const state = {
    tenants: new Map(), // name -> {created_at, keys:[hash], models: Map(name -> model)}
    jobs: new Map(),
    nodes: [],
    epoch: 1,
    replicas: 2,
    jobMs,
    queueMs,
    nextJob: 1,
    failNext: [], // [{method, pathRe, status, code, message}] injected by tests
  };
  if (seed === 'demo') {
    const t = Date.now();
    state.nodes = [
      { node: 'r1', role: 'router', state: 'up', address: '127.0.0.1:8080' },
      { node: 'c1', role: 'coordinator', state: 'up', address: '127.0.0.1:7100' },
      { node: 'w1', role: 'worker', state: 'up', address: '127.0.0.1:7201' },
      { node: 'w2', role: 'worker', state: 'up', address: '127.0.0.1:7202' },
      { node: 'w3', role: 'worker', state: 'up', address: '127.0.0.1:7203' },
    ].map((n, i) => ({ ...n, started: t - 3600e3 * (i + 1) }));
  }
  return state;
}

function placementOf(state, tenant) {
  const up = state.nodes.filter((n) => n.role === 'worker' && n.state === 'up');
  return up.map((n) => [hash32(`${tenant}|${n.node}`), n.node]).sort((a, b) => b[0] - a[0])
    .slice(0, state.replicas).map(([, n]) => n);
}

function nodeView(state, n) {
  const out = { node: n.node, role: n.role, state: n.state, address: n.address, last_heartbeat: new Date(Date.now() - (hash32(n.node) % 1500)).toISOString() };
  if (n.role === 'worker') {
    let tenants = 0;
    let models = 0;
    let mem = 0;
    if (n.state === 'up') {
      for (const [name, t] of state.tenants) {
        if (!placementOf(state, name).includes(n.node)) continue;
        tenants += 1;
        for (const m of t.models.values()) {
          const v = m.versions.get(m.active_version);
          if (v) {
            models += 1;
            mem += v.bytes.length;
          }
        }
      }
    }
    Object.assign(out, { tenants, models_loaded: models, memory_bytes: 48 * 1024 * 1024 + mem, inflight: n.state === 'up' ? hash32(n.node + Math.floor(Date.now() / 3000)) % 4 : 0 });
  } else {
    Object.assign(out, { tenants: 0, models_loaded: 0, memory_bytes: 24 * 1024 * 1024, inflight: 0 });
  }
  return out;
}

function getTenant(state, name) {
  if (!validName(name)) throw new HttpError(400, 'invalid_name', `invalid tenant name: ${JSON.stringify(name)}`);
  const t = state.tenants.get(name);
  if (!t) throw new HttpError(404, 'not_found', `tenant ${name} not found`);
  return t;
}

function getModel(state, tenant, model) {
  const t = getTenant(state, tenant);
  if (!validName(model)) throw new HttpError(400, 'invalid_name', `invalid model name: ${JSON.stringify(model)}`);
  const m = t.models.get(model);
  if (!m) throw new HttpError(404, 'not_found', `model ${tenant}/${model} not found`);
  return m;
}

function ensureTenant(state, name) {
  if (!state.tenants.has(name)) {
    state.tenants.set(name, { created_at: now(), keys: [], models: new Map() });
    state.epoch += 1;
  }
  return state.tenants.get(name);
}

function ensureModel(t, name) {
  if (!t.models.has(name)) t.models.set(name, { versions: new Map(), active_version: null, next_version: 1, history: [], updated_at: now() });
  return t.models.get(name);
}

function versionView(v) {
  const { bytes, ...rest } = v;
  void bytes;
  return rest;
}

function setActive(m, to, reason, by) {
  // Like the router: `from` is 0 on the first activation.
  m.history.unshift({ at: now(), from: m.active_version ?? 0, to, reason, by });
  if (m.active_version !== to) m.previous_active = m.active_version;
  m.active_version = to;
  m.updated_at = now();
}

function makeArtifact(meta) {
  const body = Buffer.from(ARTIFACT_MAGIC + JSON.stringify(meta) + '\n');
  // Padding stands in for the dlib payload so sizes look like real models.
  return Buffer.concat([body, randomBytes(1024 + (hash32(JSON.stringify(meta)) % 4096))]);
}

function parseArtifact(buf) {
  if (buf.length < ARTIFACT_MAGIC.length || buf.subarray(0, ARTIFACT_MAGIC.length).toString() !== ARTIFACT_MAGIC) return null;
  const end = buf.indexOf(10, ARTIFACT_MAGIC.length);
  if (end < 0) return null;
  try {
    const meta = JSON.parse(buf.subarray(ARTIFACT_MAGIC.length, end).toString());
    return meta && typeof meta.algorithm === 'string' ? meta : null;
  } catch {
    return null;
  }
}

function addVersion(m, { algorithm, n_features, metrics, primary, source, job_id, bytes }) {
  const version = m.next_version++;
  const v = {
    version, algorithm, n_features, metrics, primary_metric: primary, size_bytes: bytes.length, sha256: sha256(bytes),
    created_at: now(), source, job_id: job_id || null, bytes,
  };
  m.versions.set(version, v);
  m.updated_at = now();
  return v;
}

/** Fake but plausible validation metrics for a label kind, varying per version. */
function fakeMetrics(kind, salt) {
  const r = (k) => ((hash32(`${salt}|${k}`) % 1000) / 1000);
  if (kind === 'binary') {
    const acc = 0.78 + 0.2 * r('a');
    const m = { accuracy: acc, precision: acc - 0.03 * r("p"), recall: acc - 0.05 * r("r"), f1: acc - 0.04 * r("f"), auc: Math.min(0.999, acc + 0.05 * r("u")) };
    for (const k of Object.keys(m)) m[k] = Math.round(m[k] * 1e4) / 1e4;
    return { metrics: { ...m, primary: 'accuracy' }, primary: 'accuracy' };
  }
  if (kind === 'multiclass') {
    const acc = 0.6 + 0.35 * r('a');
    return { metrics: { accuracy: acc, primary: 'accuracy' }, primary: 'accuracy' };
  }
  if (kind === 'kmeans') return { metrics: { inertia: 50 + 100 * r('i'), primary: 'inertia' }, primary: 'inertia' };
  const r2 = 0.5 + 0.45 * r('r2');
  return { metrics: { rmse: 1 - r2 + 0.1 * r('e'), mae: 0.8 * (1 - r2), r2, primary: 'rmse' }, primary: 'rmse' };
}

function better(primary, a, b) {
  const lowerIsBetter = primary === 'rmse' || primary === 'mae' || primary === 'inertia';
  return lowerIsBetter ? a < b : a > b;
}

/** Moves a job along its timeline (queued → running → succeeded) and finalizes it once. */
function advance(state, job) {
  if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled') return job;
  const t = Date.now();
  const start = job.created_ms + state.queueMs;
  if (t < start) return job;
  if (job.status === 'queued') {
    job.status = 'running';
    job.started_at = new Date(start).toISOString();
    const workers = state.nodes.filter((n) => n.role === 'worker' && n.state === 'up');
    job.node = workers.length ? workers[hash32(job.job_id) % workers.length].node : null;
  }
  if (!job.node) {
    // No worker: a real cluster keeps it queued until one shows up.
    job.status = 'queued';
    job.started_at = null;
    job.created_ms = t - state.queueMs + 1;
    return job;
  }
  const frac = (t - start) / state.jobMs;
  if (frac < 1) {
    job.progress = Math.round(Math.min(0.99, frac) * 100) / 100;
    return job;
  }
  if (job.rows < 4) {
    // The worker refuses a tiny data set (the router accepts it: the job fails, with a string reason).
    Object.assign(job, { status: 'failed', progress: 0, error: `dataset has ${job.rows} rows; at least 4 are needed`, finished_at: now() });
    return job;
  }
  const tenant = state.tenants.get(job.tenant);
  if (!tenant) {
    Object.assign(job, { status: 'failed', error: 'tenant deleted during training', finished_at: now() });
    return job;
  }
  const m = ensureModel(tenant, job.model);
  const { metrics, primary } = fakeMetrics(job.kind, `${job.tenant}/${job.model}/${m.next_version}`);
  const meta = { algorithm: job.resolved_algorithm, n_features: job.n_features, metrics, primary };
  const v = addVersion(m, { ...meta, source: 'train', job_id: job.job_id, bytes: makeArtifact(meta) });
  const cur = m.versions.get(m.active_version);
  let activated = false;
  if (job.activate === 'always') activated = true;
  else if (job.activate === 'if_better') activated = !cur || (cur.primary_metric === primary && better(primary, metrics[primary], cur.metrics[primary])) || cur.primary_metric !== primary;
  if (activated) setActive(m, v.version, `train ${job.activate}`, `job:${job.job_id}`);
  // Like the router: a job's metrics do not name the primary one (the version's do).
  const { primary: _unused, ...jobMetrics } = metrics;
  Object.assign(job, { status: 'succeeded', progress: 1, version: v.version, metrics: jobMetrics, activated, finished_at: now() });
  return job;
}

function jobView(job) {
  const { created_ms, kind, resolved_algorithm, n_features, activate, rows, ...rest } = job;
  void created_ms; void kind; void resolved_algorithm; void n_features; void activate; void rows;
  return rest;
}

/** Parses a training CSV just enough to validate it like the router would (header, label column). */
function parseTrainingCsv(text, labelColumn, algorithm) {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length < 2) throw new HttpError(422, 'invalid_input', 'CSV needs a header row and at least one data row');
  const header = lines[0].replace(/^\ufeff/, '').split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
  const needsLabel = algorithm !== 'kmeans';
  let li = -1;
  if (needsLabel) {
    if (!labelColumn) throw new HttpError(400, 'invalid_field', 'label_column is required for this algorithm');
    li = header.indexOf(labelColumn);
    if (li < 0) throw new HttpError(422, 'invalid_input', `label column "${labelColumn}" is not in the header`);
  }
  const labels = [];
  for (let r = 1; r < lines.length; r++) {
    const cells = lines[r].split(',');
    if (cells.length !== header.length) throw new HttpError(422, 'invalid_input', `row ${r + 1} has ${cells.length} fields, the header has ${header.length}`);
    for (let c = 0; c < cells.length; c++) {
      if (!Number.isFinite(Number(cells[c]))) throw new HttpError(422, 'invalid_input', `row ${r + 1}, column ${header[c]}: not a finite number`);
    }
    if (li >= 0) labels.push(Number(cells[li]));
  }
  let kind = 'kmeans';
  if (needsLabel) {
    const distinct = new Set(labels);
    const integral = labels.every((x) => Number.isInteger(x));
    if (integral && distinct.size <= 2) kind = 'binary';
    else if (integral && distinct.size <= 20) kind = 'multiclass';
    else kind = 'regression';
  }
  return { nFeatures: header.length - (li >= 0 ? 1 : 0), kind, rows: lines.length - 1 };
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => (tooBig ? reject(new HttpError(413, 'payload_too_large', `body larger than ${limit} bytes`)) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function send(res, status, obj, headers = {}) {
  if (status === 204 || obj === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

async function serveStatic(req, res, urlPath) {
  if (urlPath === '/admin') {
    res.writeHead(301, { Location: '/admin/' });
    res.end();
    return;
  }
  let rel = decodeURIComponent(urlPath.slice('/admin/'.length));
  if (rel === '' || rel.endsWith('/')) rel += 'index.html';
  const file = path.resolve(WEB_ROOT, rel);
  if (!file.startsWith(WEB_ROOT + path.sep)) throw new HttpError(404, 'not_found', 'no such file');
  let st;
  try {
    st = await stat(file);
  } catch {
    throw new HttpError(404, 'not_found', 'no such file');
  }
  if (!st.isFile()) throw new HttpError(404, 'not_found', 'no such file');
  const data = await readFile(file);
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[path.extname(file)] || 'application/octet-stream',
    'Content-Length': data.length,
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    'Referrer-Policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : data);
}

function authorize(state, req, token, tenantOfRoute, adminOnly) {
  if (!token) return;
  const m = /^Bearer (.+)$/.exec(req.headers.authorization || '');
  if (!m) throw new HttpError(401, 'unauthorized', 'missing bearer token');
  if (m[1] === token) return;
  const h = sha256(m[1]);
  for (const [name, t] of state.tenants) {
    if (t.keys.includes(h)) {
      if (adminOnly || tenantOfRoute !== name) throw new HttpError(403, 'forbidden', 'this key may only use its own tenant');
      return;
    }
  }
  throw new HttpError(401, 'unauthorized', 'unknown token');
}

async function handleApi(state, token, req, res, url) {
  const method = req.method;
  const p = url.pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  const q = url.searchParams;
  for (let i = 0; i < state.failNext.length; i++) {
    const f = state.failNext[i];
    if ((!f.method || f.method === method) && new RegExp(f.path).test(url.pathname)) {
      if (!f.sticky) state.failNext.splice(i, 1);
      if (f.html) {
        // What a proxy in front of the router might send: not the API's JSON envelope.
        res.writeHead(f.status, { 'Content-Type': 'text/html' });
        res.end(`<html><body><h1>${f.status}</h1></body></html>`);
        return undefined;
      }
      throw new HttpError(f.status, f.code, f.message);
    }
  }
  // /v1/tenants...
  if (p[1] === 'tenants') {
    const tenantName = p[2];
    authorize(state, req, token, tenantName, p.length <= 3 || p[3] === 'keys');
    if (p.length === 2 && method === 'GET') {
      const tenants = [...state.tenants].map(([tenant, t]) => ({ tenant, models: t.models.size, created_at: t.created_at }));
      return send(res, 200, { tenants });
    }
    if (p.length === 3) {
      if (!validName(tenantName)) throw new HttpError(400, 'invalid_name', `invalid tenant name: ${JSON.stringify(tenantName)}`);
      if (method === 'PUT') {
        if (state.tenants.has(tenantName)) throw new HttpError(409, 'conflict', `tenant ${tenantName} exists`);
        const body = await readBody(req, MAX_BODY);
        if (body.length) {
          try {
            JSON.parse(body.toString());
          } catch {
            throw new HttpError(400, 'invalid_json', 'malformed JSON body');
          }
        }
        const t = ensureTenant(state, tenantName);
        const key = `mfk_${randomBytes(24).toString('base64url')}`;
        t.keys.push(sha256(key));
        return send(res, 201, { tenant: tenantName, api_key: key });
      }
      if (method === 'DELETE') {
        getTenant(state, tenantName);
        state.tenants.delete(tenantName);
        state.epoch += 1;
        return send(res, 204);
      }
    }
    const t = getTenant(state, tenantName);
    if (p[3] === 'jobs' && p.length === 4 && method === 'GET') {
      const status = q.get('status');
      const jobs = [...state.jobs.values()].filter((j) => j.tenant === tenantName).map((j) => advance(state, j))
        .filter((j) => !status || j.status === status).sort((a, b) => b.created_ms - a.created_ms).map(jobView);
      return send(res, 200, { jobs });
    }
    if (p[3] !== 'models') throw new HttpError(404, 'not_found', 'no such route');
    if (p.length === 4 && method === 'GET') {
      const models = [...t.models].map(([model, m]) => ({
        model, active_version: m.active_version, versions: m.versions.size,
        algorithm: m.versions.get(m.active_version)?.algorithm ?? [...m.versions.values()].pop()?.algorithm ?? null, updated_at: m.updated_at,
      }));
      return send(res, 200, { models });
    }
    const modelName = p[4];
    if (!validName(modelName)) throw new HttpError(400, 'invalid_name', `invalid model name: ${JSON.stringify(modelName)}`);
    if (p.length === 6 && p[5] === 'train' && method === 'POST') {
      const ctype = (req.headers['content-type'] || '').split(';')[0].trim();
      const body = await readBody(req, MAX_BODY);
      let algorithm;
      let activate;
      let parsed;
      if (ctype === 'text/csv') {
        algorithm = q.get('algorithm') || 'auto';
        activate = q.get('activate') || 'if_better';
        const split = q.get('validation_split');
        if (split !== null && !(Number(split) >= 0 && Number(split) < 1)) throw new HttpError(400, 'invalid_field', 'validation_split must be in [0, 1)');
        if (!ALGORITHMS.has(algorithm)) throw new HttpError(422, 'invalid_input', `unknown algorithm ${algorithm}`);
        for (const k of q.keys()) {
          if (k.startsWith('param.') && !['c', 'k', 'gamma', 'trees', 'epochs', 'lambda'].includes(k.slice(6))) throw new HttpError(422, 'invalid_input', `unknown param ${k.slice(6)}`);
        }
        parsed = parseTrainingCsv(body.toString('utf8'), q.get('label_column'), algorithm);
      } else if (ctype === 'application/json') {
        let j;
        try {
          j = JSON.parse(body.toString());
        } catch {
          throw new HttpError(400, 'invalid_json', 'malformed JSON body');
        }
        algorithm = j.algorithm || 'auto';
        activate = j.activate || 'if_better';
        if (!ALGORITHMS.has(algorithm)) throw new HttpError(422, 'invalid_input', `unknown algorithm ${algorithm}`);
        const feats = j.data && j.data.features;
        if (!Array.isArray(feats) || feats.length === 0) throw new HttpError(422, 'invalid_input', 'empty instances');
        parsed = { nFeatures: feats[0].length, kind: algorithm === 'kmeans' ? 'kmeans' : 'binary' };
      } else {
        throw new HttpError(415, 'unsupported_media_type', `cannot train from ${ctype || 'no content type'}`);
      }
      if (!['always', 'if_better', 'never'].includes(activate)) throw new HttpError(400, 'invalid_field', `activate must be always, if_better or never`);
      const resolved = algorithm !== 'auto' ? algorithm
        : { binary: 'logistic_regression', multiclass: 'multiclass_linear', regression: 'linear_regression', kmeans: 'kmeans' }[parsed.kind];
      const id = `j${String(state.nextJob++).padStart(6, '0')}-${randomBytes(3).toString('hex')}`;
      state.jobs.set(id, {
        job_id: id, tenant: tenantName, model: modelName, algorithm, status: 'queued', progress: 0, version: null, metrics: null,
        activated: null, error: null, created_at: now(), started_at: null, finished_at: null, node: null,
        created_ms: Date.now(), kind: parsed.kind, resolved_algorithm: resolved, n_features: parsed.nFeatures, activate, rows: parsed.rows ?? 100,
      });
      return send(res, 202, { job_id: id, status: 'queued' });
    }
    if (p.length === 6 && p[5] === 'versions' && method === 'POST') {
      const ctype = (req.headers['content-type'] || '').split(';')[0].trim();
      if (ctype !== 'application/octet-stream') throw new HttpError(415, 'unsupported_media_type', 'artifacts are application/octet-stream');
      const activate = q.get('activate') || 'never';
      if (!['always', 'never'].includes(activate)) throw new HttpError(400, 'invalid_field', 'activate must be always or never');
      const bytes = await readBody(req, MAX_UPLOAD);
      const meta = parseArtifact(bytes);
      if (!meta) throw new HttpError(422, 'invalid_input', 'not a ModelFleet artifact (bad envelope)');
      const m = ensureModel(t, modelName);
      const v = addVersion(m, { algorithm: meta.algorithm, n_features: meta.n_features, metrics: meta.metrics || {}, primary: meta.primary, source: 'upload', bytes });
      if (activate === 'always') setActive(m, v.version, 'upload', 'admin');
      return send(res, 201, { version: v.version });
    }
    const m = getModel(state, tenantName, modelName);
    if (p.length === 5) {
      if (method === 'GET') {
        return send(res, 200, { model: modelName, active_version: m.active_version, versions: [...m.versions.values()].map(versionView) });
      }
      if (method === 'DELETE') {
        t.models.delete(modelName);
        return send(res, 204);
      }
    }
    if (p.length === 6 && p[5] === 'history' && method === 'GET') return send(res, 200, { events: m.history });
    if (p.length === 6 && p[5] === 'rollback' && method === 'POST') {
      if (m.previous_active == null || !m.versions.has(m.previous_active)) throw new HttpError(409, 'conflict', 'no previous version to roll back to');
      setActive(m, m.previous_active, 'rollback', 'admin');
      return send(res, 200, { active_version: m.active_version });
    }
    if (p[5] === 'versions' && p.length >= 7) {
      const vnum = Number(p[6]);
      const v = Number.isInteger(vnum) ? m.versions.get(vnum) : undefined;
      if (!v) throw new HttpError(404, 'not_found', `version ${p[6]} of ${tenantName}/${modelName} not found`);
      if (p.length === 7 && method === 'DELETE') {
        if (m.active_version === vnum && q.get('force') !== 'true') throw new HttpError(409, 'conflict', `version ${vnum} is active; use force=true`);
        m.versions.delete(vnum);
        if (m.active_version === vnum) m.active_version = null;
        return send(res, 204);
      }
      if (p.length === 8 && p[7] === 'activate' && method === 'POST') {
        setActive(m, vnum, 'activate', 'admin');
        return send(res, 200, { active_version: vnum });
      }
      if (p.length === 8 && p[7] === 'artifact' && method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': v.bytes.length, 'X-Artifact-Sha256': v.sha256 });
        res.end(v.bytes);
        return undefined;
      }
    }
    throw new HttpError(404, 'not_found', 'no such route');
  }
  if (p[1] === 'jobs' && p.length === 3) {
    const job = state.jobs.get(p[2]);
    authorize(state, req, token, job ? job.tenant : undefined, false);
    if (!job) throw new HttpError(404, 'not_found', `job ${p[2]} not found`);
    advance(state, job);
    if (method === 'GET') return send(res, 200, jobView(job));
    if (method === 'DELETE') {
      if (['succeeded', 'failed', 'cancelled'].includes(job.status)) throw new HttpError(409, 'conflict', `job ${job.job_id} already ${job.status}`);
      Object.assign(job, { status: 'cancelled', finished_at: now(), error: 'cancelled by admin' });
      return send(res, 202, { job_id: job.job_id, status: 'cancelled' });
    }
  }
  if (p[1] === 'cluster') {
    authorize(state, req, token, undefined, true);
    if (p[2] === 'nodes' && p.length === 3 && method === 'GET') return send(res, 200, { nodes: state.nodes.map((n) => nodeView(state, n)) });
    if (p[2] === 'nodes' && p.length === 5 && method === 'POST' && (p[4] === 'drain' || p[4] === 'undrain')) {
      const n = state.nodes.find((x) => x.node === p[3]);
      if (!n) throw new HttpError(404, 'not_found', `node ${p[3]} not found`);
      if (n.state === 'down') throw new HttpError(409, 'conflict', `node ${p[3]} is down`);
      n.state = p[4] === 'drain' ? 'draining' : 'up';
      state.epoch += 1;
      return send(res, 202, { node: n.node, state: n.state });
    }
    if (p[2] === 'placement' && p.length === 3 && method === 'GET') {
      const only = q.get('tenant');
      if (only) getTenant(state, only);
      const tenants = {};
      for (const name of state.tenants.keys()) if (!only || only === name) tenants[name] = placementOf(state, name);
      return send(res, 200, { epoch: state.epoch, replicas: state.replicas, tenants });
    }
  }
  throw new HttpError(404, 'not_found', 'no such route');
}

/** Starts the mock on 127.0.0.1. Resolves to {url, port, state, close()}. */
export async function startMock({ port = 0, token = 'mock-admin-token', seed = 'demo', jobMs = 2500, queueMs = 300, log = false } = {}) {
  const state = createState({ seed, jobMs, queueMs });
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    try {
      if (log) console.log(req.method, req.url);
      if (url.pathname === '/admin' || url.pathname.startsWith('/admin/')) {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method_not_allowed', 'static files are GET only');
        await serveStatic(req, res, url.pathname);
        return;
      }
      if (url.pathname === '/') {
        res.writeHead(302, { Location: '/admin/' });
        res.end();
        return;
      }
      if (url.pathname === '/healthz') return send(res, 200, { status: 'ok' });
      if (url.pathname === '/readyz') return send(res, state.nodes.some((n) => n.role === 'worker' && n.state === 'up') ? 200 : 503, { status: 'ok' });
      // Test hook (not part of API.md): make matching requests fail with an error envelope.
      if (url.pathname === '/__mock/fail' && req.method === 'POST') {
        state.failNext.push(JSON.parse((await readBody(req, 65536)).toString()));
        return send(res, 204);
      }
      if (url.pathname === '/__mock/clear' && req.method === 'POST') {
        state.failNext.length = 0;
        return send(res, 204);
      }
      if (url.pathname.startsWith('/v1/')) {
        await handleApi(state, token, req, res, url);
        return;
      }
      throw new HttpError(404, 'not_found', 'no such route');
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) {
        send(res, e.status, { error: { code: e.code, message: e.message } }, e.status === 429 ? { 'Retry-After': '1' } : {});
      } else if (e instanceof URIError) {
        send(res, 400, { error: { code: 'invalid_name', message: 'malformed percent-encoding' } });
      } else {
        console.error('mock server error', e);
        send(res, 500, { error: { code: 'internal', message: String(e && e.message) } });
      }
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const actual = server.address().port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    token,
    state,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
  };
  const m = await startMock({ port: Number(opt('port', 0)), token: opt('token', 'mock-admin-token'), seed: opt('seed', 'demo'), jobMs: Number(opt('job-ms', 2500)), log: args.includes('--log') });
  console.log(`mock ModelFleet router on ${m.url}/admin/ (admin token: ${m.token})`);
}
