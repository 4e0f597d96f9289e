// login.js: asks for the admin token, checks it against the router, keeps it in sessionStorage.
// The form never submits to a URL: the token goes only into the Authorization header.

import { ApiError, plainError, request, setToken } from '../api.js';
import { busy, h, notice, noticeArea } from '../dom.js';

export function mount(root, { reason, onLoggedIn }) {
  const msg = noticeArea();
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true,
    'aria-describedby': 'token-help',
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Log in');
  const form = h('form', { class: 'card login-card', method: 'post' },
    h('h1', {}, 'Log in'),
    h('p', { id: 'token-help', class: 'muted' },
      'Type the cluster\'s admin token (ops/up prints it and writes it to var/admin.token). ',
      'It is kept in this tab only and sent in the Authorization header.'),
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'Admin token'), input),
    msg,
    h('div', { class: 'actions' }, submit));
  if (reason) notice(msg, reason === 'Logged out.' ? 'info' : 'error', reason);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = input.value.trim();
    if (!token) {
      notice(msg, 'error', 'Type the admin token first.');
      input.focus();
      return;
    }
    notice(msg, 'info', 'Checking the token…');
    try {
      await busy(submit, () => check(token));
      setToken(token);
      input.value = '';
      onLoggedIn();
    } catch (e) {
      const text = e instanceof ApiError && (e.code === 'unauthorized' || e.code === 'forbidden')
        ? 'That token was not accepted: it must be the cluster\'s admin token.'
        : plainError(e);
      notice(msg, 'error', text);
      input.focus();
    }
  });
  root.append(form);
  input.focus();
  return null;
}

async function check(token) {
  // GET /v1/tenants is admin-only, so it proves the token is the admin token.
  await request('GET', '/v1/tenants', { token });
}
