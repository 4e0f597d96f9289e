// harness.mjs: shared setup of the browser tests: the target (the mock router on a free port, or a
// real cluster from MF_UI_BASE_URL + MF_UI_ADMIN_TOKEN), Debian's chromium through playwright-core,
// screenshots under tests/browser/output/, and a guard that fails on page errors.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startMock } from './mock_server.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const OUTPUT_DIR = path.resolve(process.env.MF_UI_OUTPUT_DIR || path.join(HERE, 'output'));
export const STEP_TIMEOUT_MS = Number(process.env.MF_UI_TIMEOUT_MS || 15000);
export const TRAIN_TIMEOUT_MS = Number(process.env.MF_UI_TRAIN_TIMEOUT_MS || 120000);

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** The system under test: {baseUrl, token, mock (null for a real cluster), close()}. */
export async function startTarget(mockOptions = {}) {
  if (process.env.MF_UI_BASE_URL && !mockOptions.forceMock) {
    const token = process.env.MF_UI_ADMIN_TOKEN;
    if (!token) throw new Error('MF_UI_BASE_URL is set but MF_UI_ADMIN_TOKEN is not');
    return { baseUrl: process.env.MF_UI_BASE_URL.replace(/\/+$/, ''), token, mock: null, close: async () => {} };
  }
  const mock = await startMock({ token: 'ui-test-admin-token', ...mockOptions });
  return { baseUrl: mock.url, token: mock.token, mock, close: () => mock.close() };
}

export function isRealCluster() {
  return Boolean(process.env.MF_UI_BASE_URL);
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.MF_UI_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60000,
  });
}

/**
 * A new page with the given viewport. Page errors, failed console errors and unexpected 5xx are
 * collected in page.problems; call assertNoProblems(page) at the end of a test.
 */
export async function newPage(browser, viewport = DESKTOP, { acceptDownloads = true } = {}) {
  const context = await browser.newContext({ viewport, acceptDownloads, deviceScaleFactor: 1, locale: 'en-GB', timezoneId: 'UTC' });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const page = await context.newPage();
  page.problems = [];
  page.expectedConsoleErrors = 0;
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('console', (msg) => {
    // The browser logs every non-2xx fetch as a console error; API errors are shown on the page instead.
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) page.problems.push(`console error: ${msg.text()}`);
  });
  page.on('response', (res) => {
    if (res.status() >= 500 && !page.allow5xx) page.problems.push(`HTTP ${res.status()} from ${res.url()}`);
  });
  return page;
}

export function screenshotPath(name) {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return path.join(OUTPUT_DIR, `${name}.png`);
}

export async function shot(page, name) {
  // Let CSS transitions (the progress bar) settle; screenshots are evidence, not synchronisation.
  await page.screenshot({ path: screenshotPath(name), fullPage: true, animations: 'disabled' });
}

export async function login(page, baseUrl, token) {
  await page.goto(`${baseUrl}/admin/`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Tenants' }).waitFor();
}

export function uniqueName(prefix) {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
