// app.js: the shell of the admin UI: login gate, navigation, hash routing and view lifecycle.
// Routes live in the fragment (#/models/t1/churn) so the router only serves static files.

import { clearToken, getToken, onUnauthorized } from './api.js';
import * as login from './views/login.js';
import * as tenants from './views/tenants.js';
import * as models from './views/models.js';
import * as train from './views/train.js';
import * as jobs from './views/jobs.js';
import * as cluster from './views/cluster.js';

const VIEWS = { tenants, models, train, jobs, cluster };

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const logoutBtn = document.getElementById('logout');
let unmount = null;
let loginReason = '';

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const name = parts.shift() || 'tenants';
  return { name, params: parts };
}

export function navigate(...parts) {
  location.hash = `#/${parts.map((p) => encodeURIComponent(p)).join('/')}`;
}

function render() {
  if (unmount) {
    try {
      unmount();
    } catch (e) {
      console.warn('view cleanup failed', e);
    }
    unmount = null;
  }
  main.replaceChildren();
  const authed = Boolean(getToken());
  nav.hidden = !authed;
  logoutBtn.hidden = !authed;
  if (!authed) {
    unmount = login.mount(main, {
      reason: loginReason,
      onLoggedIn: () => {
        loginReason = '';
        if (!location.hash || location.hash === '#/' || location.hash === '#/login') navigate('tenants');
        else render();
      },
    });
    return;
  }
  const route = parseRoute();
  const view = VIEWS[route.name] || tenants;
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.route === route.name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  unmount = view.mount(main, { params: route.params, navigate }) || null;
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    // Move focus to the new page's heading so keyboard and screen-reader users land on it.
    if (document.activeElement && document.activeElement.closest('nav')) heading.focus({ preventScroll: true });
    document.title = `${heading.textContent} · ModelFleet admin`;
  }
}

onUnauthorized(() => {
  if (!getToken()) return;
  clearToken();
  loginReason = 'The admin token was not accepted (it may have been rotated). Log in again.';
  render();
});

logoutBtn.addEventListener('click', () => {
  clearToken();
  loginReason = 'Logged out.';
  render();
});

window.addEventListener('hashchange', render);
render();
