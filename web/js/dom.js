// dom.js: tiny DOM helpers shared by the views (element builder, notices, confirmation dialog).
// Text is always inserted as text nodes, never as HTML, so names from the API cannot inject markup.

/**
 * h('button', {class: 'x', onclick: fn, 'aria-label': 'y'}, 'text', child...)
 * Attribute values false/null/undefined are skipped; `true` sets a boolean attribute.
 */
export function h(tag, attrs, ...children) {
  const el = tag === 'svg' || SVG_TAGS.has(tag)
    ? document.createElementNS('http://www.w3.org/2000/svg', tag)
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'value' && 'value' in el && !(el instanceof SVGElement)) {
      el.value = v;
    } else if (k === 'checked' || k === 'selected') {
      el[k] = Boolean(v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

const SVG_TAGS = new Set(['g', 'line', 'polyline', 'circle', 'text', 'title', 'rect', 'path', 'desc']);

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

/**
 * A message area: role=status for progress/success, role=alert for errors, so screen readers
 * announce both. kind: 'info' | 'ok' | 'error'. An empty text hides it.
 */
export function notice(el, kind, text) {
  el.className = `notice notice-${kind}`;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  el.textContent = text || '';
  el.hidden = !text;
}

export function noticeArea() {
  const el = h('div', { class: 'notice', hidden: true });
  return el;
}

/**
 * A modal confirmation (native <dialog>: focus trap and Escape come with it).
 * Resolves true when confirmed. `body` may be a string or nodes.
 */
export function confirmDialog({ title, body, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const cancelBtn = h('button', { type: 'button', class: 'btn', value: 'cancel' }, 'Cancel');
    const okBtn = h('button', { type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary' }, confirmLabel);
    const dlg = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title),
      h('div', { class: 'dialog-body' }, body),
      h('div', { class: 'dialog-actions' }, cancelBtn, okBtn));
    let result = false;
    cancelBtn.addEventListener('click', () => dlg.close());
    okBtn.addEventListener('click', () => {
      result = true;
      dlg.close();
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(result);
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    cancelBtn.focus();
  });
}

/** Runs `fn` with the button disabled (and aria-busy) so a double click does not send twice. */
export async function busy(button, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

/** A progress bar with ARIA values (0..1 fraction in, percent shown). */
export function progressBar(fraction, label) {
  const bar = h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' },
    h('div', { class: 'progress-fill' }));
  if (label) bar.setAttribute('aria-label', label);
  setProgress(bar, fraction);
  return bar;
}

export function setProgress(bar, fraction, status) {
  const pct = Math.max(0, Math.min(100, Math.round((Number(fraction) || 0) * 100)));
  bar.setAttribute('aria-valuenow', String(pct));
  bar.setAttribute('aria-valuetext', `${pct}%${status ? ` (${status})` : ''}`);
  bar.dataset.status = status || '';
  bar.firstChild.style.width = `${pct}%`;
}

/** Saves a Blob as a file through a temporary object URL (no token ever goes in a URL). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

/**
 * Re-renders `container` with `render()` and, if keyboard focus was inside it, puts focus back
 * on the element with the same id or aria-label (auto-refresh must not throw the user out).
 */
export function keepFocus(container, render) {
  const active = document.activeElement;
  let key = null;
  if (active && active !== document.body && container.contains(active)) {
    key = active.id ? `#${CSS.escape(active.id)}` : active.getAttribute('aria-label')
      ? `[aria-label="${CSS.escape(active.getAttribute('aria-label'))}"]` : null;
  }
  render();
  if (key) {
    const again = container.querySelector(key);
    if (again) again.focus({ preventScroll: true });
  }
}
