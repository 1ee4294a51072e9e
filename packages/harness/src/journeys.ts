// User journeys in Chromium against any running stack (the harness's own, or the containers of
// docker-compose.yml): given the three public URLs, they drive the app and the OP's pages and
// throw (node:assert) at the first thing that is not as it should be. e2e/flows.test.ts and the
// compose test (e2e/compose) run the same journeys.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { BrowserSession } from './browser.js';
import { approveConsent, confirmLogout, OP, signIn, USERS } from './op-pages.js';

export interface JourneyUrls {
  auth: string;
  api: string;
  app: string;
}

export interface JourneyOptions {
  /** Screenshot names are prefixed with this (e.g. 'compose-'); absent: no screenshots. */
  screenshots?: string;
  /** How long the app may take to discover the OP (default 30 s). */
  discoveryTimeoutMs?: number;
}

const isoDay = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

export function explorerUrl(app: string, params: Record<string, string>): string {
  return `${app}/api-explorer?${new URLSearchParams(params).toString()}`;
}

/** The API explorer's status line (the FDX API's HTTP status). */
export async function explorerStatus(page: Page): Promise<string> {
  return page.getByTestId('status').innerText();
}

export async function explorerBody(page: Page): Promise<Record<string, unknown>> {
  return JSON.parse(await page.getByTestId('body').innerText()) as Record<string, unknown>;
}

export async function pickerAccountIds(page: Page): Promise<string[]> {
  const options = await page.getByTestId('account-picker').locator('option:not([value=""])').all();
  return Promise.all(options.map(async (o) => (await o.getAttribute('value')) ?? ''));
}

const transactionIds = (body: Record<string, unknown>) => (body.transactions as { transactionId: string }[]).map((t) => t.transactionId);

/** App → OP login form → consent → back in the app, logged in as `user`; the scopes the consent page listed. */
export async function logIn(browser: BrowserSession, urls: JourneyUrls, user: { email: string; password: string }): Promise<string[]> {
  const { page } = browser;
  await page.goto(`${urls.app}/login`);
  await page.waitForURL(`${urls.auth}/**`);
  await signIn(page, user);
  await page.locator(OP.consentAllow).waitFor();
  const scopes = await approveConsent(page);
  await page.waitForURL(`${urls.app}/`);
  return scopes;
}

/**
 * The demo user's whole visit: home → "Log in with the bank" → OP login + consent → accounts (only
 * their own), 90 days of transactions 5 per page over three pages that never overlap, a statement
 * PDF, /token's subject, a token refresh that still works at the API, logout at the OP (a new login
 * asks for the password again).
 */
export async function demoUserJourney(browser: BrowserSession, urls: JourneyUrls, options: JourneyOptions = {}): Promise<void> {
  const { page } = browser;
  const { app, auth } = urls;
  const shot = async (name: string) => {
    if (options.screenshots !== undefined) await browser.screenshot(`${options.screenshots}${name}`);
  };
  const explorer = (params: Record<string, string>) => explorerUrl(app, params);
  const expectStatus = async (expected: string, what: string) => assert.equal(await explorerStatus(page), expected, what);

  // The app discovers the OP in the background (with backoff): reload until it offers the login.
  const loginLink = page.getByRole('link', { name: 'Log in with the bank' });
  const deadline = Date.now() + (options.discoveryTimeoutMs ?? 30_000);
  for (;;) {
    await page.goto(`${app}/`);
    if (await loginLink.isVisible()) break;
    assert.ok(Date.now() < deadline, `the app at ${app} never offered "Log in with the bank"`);
    await new Promise((r) => setTimeout(r, 500));
  }
  await shot('home');
  await Promise.all([page.waitForURL(`${auth}/**`), loginLink.click()]);
  await page.waitForURL(`${auth}/**`);
  await shot('op-login');
  await signIn(page, USERS.demo);
  await page.locator(OP.consentAllow).waitFor();
  assert.equal(await page.locator(OP.consentClient).innerText(), 'Open Finance demo app');
  await shot('op-consent');
  const scopes = await approveConsent(page);
  for (const scope of ['openid', 'accounts:read', 'transactions:read']) assert.ok(scopes.includes(scope), `consent lists ${scope}: ${scopes.join(' ')}`);
  await page.waitForURL(`${app}/`);
  const loginState = await page.getByTestId('login-state').innerText();
  assert.ok(loginState.includes(USERS.demo.sub), loginState);
  assert.ok(loginState.includes(USERS.demo.email), loginState);
  await shot('home-logged-in');

  // Accounts: the picker is filled from GET /accounts, only the customer's own.
  await page.goto(explorer({ endpoint: 'accounts' }));
  await expectStatus('200', 'GET /accounts');
  const accountIds = await pickerAccountIds(page);
  assert.ok(accountIds.includes('acc-10001-checking'), accountIds.join(' '));
  assert.ok(accountIds.every((id) => id.startsWith('acc-10001-')), accountIds.join(' '));
  await shot('explorer-accounts');

  // Transactions over 90 days, 5 per page: follow nextOffset twice, pages never overlap.
  await page.goto(explorer({ endpoint: 'transactions', accountId: 'acc-10001-checking', startTime: isoDay(90), endTime: isoDay(0), limit: '5' }));
  await expectStatus('200', 'GET /accounts/acc-10001-checking/transactions');
  const seen = new Set<string>();
  for (let n = 1; n <= 3; n++) {
    const body = await explorerBody(page);
    const ids = transactionIds(body);
    assert.equal(ids.length, 5, `page ${n} holds 5 transactions`);
    for (const id of ids) {
      assert.ok(!seen.has(id), `transaction ${id} on two pages`);
      seen.add(id);
    }
    if (n === 1) await shot('explorer-transactions');
    if (n < 3) {
      assert.ok((body.page as { nextOffset?: string }).nextOffset, `page ${n} has a nextOffset`);
      await Promise.all([page.waitForNavigation(), page.getByTestId('next-page').click()]);
      await expectStatus('200', `transactions page ${n + 1}`);
      assert.ok(new URL(page.url()).searchParams.get('offset'), 'the next page is asked for by offset');
    }
  }
  await shot('explorer-transactions-page-3');

  // Statements: listed with links that open the PDF through the app.
  await page.goto(explorer({ endpoint: 'statements', accountId: 'acc-10001-checking' }));
  await expectStatus('200', 'GET /accounts/acc-10001-checking/statements');
  const pdfLink = page.getByRole('link', { name: /Open statement .* \(PDF\)/ }).first();
  const pdf = await page.request.get(new URL((await pdfLink.getAttribute('href'))!, app).href);
  assert.equal(pdf.status(), 200, 'statement PDF');
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  assert.equal((await pdf.body()).subarray(0, 5).toString('latin1'), '%PDF-');
  await shot('explorer-statements');

  // /token: the verified ID token's subject is the FDX customer id.
  await page.goto(`${app}/token`);
  assert.equal(await page.getByTestId('sub').innerText(), USERS.demo.sub);
  await shot('token');

  // Refresh: a new access token replaces the old one.
  await page.goto(`${app}/debug/tokens`);
  assert.ok((await page.getByTestId('refresh-presence').innerText()).includes('present'), 'a refresh token is held');
  const before = await page.getByTestId('access-token-raw').innerText();
  await shot('debug-tokens');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Refresh tokens' }).click()]);
  assert.ok((await page.getByRole('status').innerText()).includes('Tokens refreshed.'), 'refresh confirmed');
  const after = await page.getByTestId('access-token-raw').innerText();
  assert.match(after, /^ey/);
  assert.notEqual(after, before, 'the refresh replaced the access token');
  await shot('debug-tokens-refreshed');
  // The refreshed token still works at the API.
  await page.goto(explorer({ endpoint: 'customer' }));
  await expectStatus('200', 'GET /customers/current with the refreshed token');

  // Logout: local session gone, and the OP's session too (a new login asks for the password).
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Log out' }).click()]);
  await page.waitForURL(`${auth}/**`);
  await page.locator(OP.logoutConfirm).waitFor();
  await shot('op-logout-confirm');
  await confirmLogout(page);
  await page.waitForURL(`${app}/**`);
  assert.ok((await page.getByTestId('login-state').innerText()).includes('You are not logged in.'), 'logged out in the app');
  await shot('logged-out');
  await page.goto(`${app}/login`);
  await page.waitForURL(`${auth}/**`);
  await page.locator(OP.loginForm).waitFor();
  assert.ok(await page.locator(OP.password).isVisible(), 'a new login asks for the password');
}
