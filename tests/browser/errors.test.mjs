// errors.test.mjs: the admin UI on an empty cluster and when the API fails: every page renders,
// API errors appear in plain words, bad input is refused without side effects, keyboard works.
// Always runs against its own mock (it needs an empty cluster and injected failures).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DESKTOP, launchBrowser, login, newPage, OUTPUT_DIR, PHONE, shot, startTarget } from './harness.mjs';

let target;
let browser;

before(async () => {
  target = await startTarget({ forceMock: true, seed: 'empty', jobMs: 1500 });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (target) await target.close();
});

const api = (method, p, body, headers = {}) => fetch(`${target.baseUrl}${p}`, {
  method, body, headers: { Authorization: `Bearer ${target.token}`, ...headers },
});

/** Makes the mock answer the next request matching `path` (a regex) with an error envelope. */
const failNext = (spec) => api('POST', '/__mock/fail', JSON.stringify(spec));

function goNav(page, name) {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
}

test('an empty cluster: every page says so and nothing breaks', { timeout: 120000 }, async () => {
  for (const viewport of [DESKTOP, PHONE]) {
    const page = await newPage(browser, viewport);
    await login(page, target.baseUrl, target.token);
    const tag = viewport === DESKTOP ? 'desktop' : 'phone';
    await page.getByText('No tenants yet').waitFor();
    await goNav(page, 'Models');
    await page.getByText('No tenants yet: create one on the Tenants page.').waitFor();
    await goNav(page, 'Train');
    await page.getByRole('button', { name: 'Start training' }).waitFor();
    await goNav(page, 'Jobs');
    await page.getByText('No tenants, so no jobs yet.').waitFor();
    await goNav(page, 'Cluster');
    await page.getByText('No nodes have registered yet.').waitFor();
    await page.getByText('No tenant is placed yet.').waitFor();
    await shot(page, `${tag}-empty-cluster`);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  }
});

test('API failures are shown in plain words', { timeout: 120000 }, async () => {
  const page = await newPage(browser, DESKTOP);
  page.allow5xx = true;
  await login(page, target.baseUrl, target.token);

  await failNext({ path: '^/v1/cluster/nodes$', status: 503, code: 'unavailable', message: 'redis is down' });
  await goNav(page, 'Cluster');
  await page.getByRole('alert').filter({ hasText: 'Could not load the nodes. No node can handle this right now' }).waitFor();
  await page.getByRole('alert').filter({ hasText: 'Details: redis is down' }).waitFor();
  await shot(page, 'desktop-error-unavailable');
  // The next refresh (auto, every few seconds) recovers by itself.
  await page.getByText('No nodes have registered yet.').waitFor();

  await goNav(page, 'Tenants');
  await failNext({ method: 'GET', path: '^/v1/tenants$', status: 429, code: 'overloaded', message: 'queue full' });
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByRole('alert').filter({ hasText: 'The cluster is busy right now; try again in a few seconds.' }).waitFor();

  // A name the API would refuse is stopped in the page, with the rule in words.
  await page.getByLabel('Tenant name').fill('bad name!');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await page.getByRole('alert').filter({ hasText: 'That name is not allowed' }).waitFor();

  // A proxy answering with HTML instead of the JSON envelope still gives a readable message.
  await failNext({ method: 'PUT', path: '^/v1/tenants/', status: 504, html: true });
  await page.getByLabel('Tenant name').fill('acme');
  await page.getByRole('button', { name: 'Create tenant' }).click();
  await page.getByRole('alert').filter({ hasText: 'The cluster took too long to answer' }).waitFor();
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('bad uploads and bad CSVs are refused and leave nothing behind', { timeout: 120000 }, async () => {
  // A model with one uploaded version, made through the API.
  assert.equal((await api('PUT', '/v1/tenants/bad-inputs')).status, 201);
  const artifact = Buffer.concat([Buffer.from('MFM1\n{"algorithm":"logistic_regression","n_features":2,"metrics":{"accuracy":0.8,"primary":"accuracy"},"primary":"accuracy"}\n'), Buffer.alloc(64, 7)]);
  const up = await api('POST', '/v1/tenants/bad-inputs/models/m1/versions?activate=always', artifact, { 'Content-Type': 'application/octet-stream' });
  assert.equal(up.status, 201);

  const page = await newPage(browser, DESKTOP);
  await login(page, target.baseUrl, target.token);
  await page.goto(`${target.baseUrl}/admin/#/models/bad-inputs/m1`);
  await page.locator('#versions-table tr[data-version="1"]').waitFor();

  const junk = path.join(OUTPUT_DIR, 'junk.mfm');
  writeFileSync(junk, 'this is not an artifact');
  await page.getByLabel('Artifact file').setInputFiles(junk);
  await page.getByRole('button', { name: 'Upload artifact' }).click();
  await page.getByRole('alert').filter({ hasText: 'That file is not a valid ModelFleet artifact; nothing was stored.' }).waitFor();
  assert.equal(await page.locator('#versions-table tbody tr').count(), 1);

  // The active version can only be deleted by forcing, which the dialog says.
  const forced = page.waitForRequest((r) => r.method() === 'DELETE' && r.url().includes('/versions/1?force=true'));
  await page.getByRole('button', { name: 'Delete version 1' }).click();
  await page.getByRole('dialog').getByText('This is the active version.').waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Force delete active version' }).click();
  await forced;
  await page.getByText('No versions yet.').waitFor();

  // A CSV with a non-numeric cell: the router's 422 message is shown, no job appears.
  const csv = path.join(OUTPUT_DIR, 'bad.csv');
  writeFileSync(csv, 'a,b,label\n1,2,0\n3,oops,1\n');
  await goNav(page, 'Train');
  await page.getByLabel('Tenant').fill('bad-inputs');
  await page.getByLabel('Model').fill('m2');
  await page.getByLabel('Training data (CSV)').setInputFiles(csv);
  await page.locator('#csv-info', { hasText: '3 columns, 2 data rows' }).waitFor();
  await page.getByRole('button', { name: 'Start training' }).click();
  await page.getByRole('alert').filter({ hasText: 'Training was not started. The server could not use that input. Details: row 3, column b' }).waitFor();
  const jobs = await (await api('GET', '/v1/tenants/bad-inputs/jobs')).json();
  assert.deepEqual(jobs.jobs, []);

  // No worker in this cluster: a valid job is accepted and waits, the bar at 0 and saying why.
  writeFileSync(csv, 'a,b,label\n1,2,0\n3,4,1\n');
  await page.getByLabel('Training data (CSV)').setInputFiles(csv);
  await page.locator('#csv-info', { hasText: '3 columns, 2 data rows' }).waitFor();
  await page.getByRole('button', { name: 'Start training' }).click();
  await page.locator('#train-status', { hasText: 'Queued: waiting for a free training slot' }).waitFor();
  assert.equal(await page.locator('#train-progress').getAttribute('aria-valuenow'), '0');
  // It can be cancelled from the same card.
  await page.getByRole('button', { name: 'Cancel job' }).click();
  await page.locator('#train-status', { hasText: 'Cancelled.' }).waitFor();
  await page.locator('#train-progress[data-status="cancelled"]').waitFor();
  assert.ok(await page.getByRole('button', { name: 'Cancel job' }).isHidden());
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('keyboard only: create a tenant and dismiss a dialog; a revoked token returns to the login', { timeout: 120000 }, async () => {
  const page = await newPage(browser, DESKTOP);
  page.allow5xx = true;
  await page.goto(`${target.baseUrl}/admin/`);
  // The token field has focus on load; Enter submits.
  await page.keyboard.type(target.token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Tenants' }).waitFor();
  await page.getByLabel('Tenant name').focus();
  await page.keyboard.type('by-keyboard');
  await page.keyboard.press('Enter');
  await page.locator('#tenants-table tr[data-tenant="by-keyboard"]').waitFor();
  await page.getByRole('button', { name: 'Delete tenant by-keyboard' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor();
  // Focus starts on Cancel, the safe choice.
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Cancel');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  assert.equal(await page.locator('#tenants-table tr[data-tenant="by-keyboard"]').count(), 1);

  // The token stops working (rotated): the next call sends the user back to the login, in words.
  await failNext({ path: '^/v1/tenants$', status: 401, code: 'unauthorized', message: 'unknown token' });
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByRole('alert').filter({ hasText: 'The admin token was not accepted' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('modelfleet.admin_token')), null);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
