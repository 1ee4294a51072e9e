// The user journeys of issue 2 in a real browser (Chromium through Caddy's HTTPS): the demo user's
// whole visit, the blocked user's refusal and the second customer's isolation. One stack for the
// file; the tests run in order and share the browser (each clears its cookies first).
import { openBrowser, type BrowserSession } from '@kit/harness/browser';
import { startStack, type Stack } from '@kit/harness/stack';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveConsent, confirmLogout, OP, signIn, USERS } from './op-pages.js';

let stack: Stack;
let browser: BrowserSession;

beforeAll(async () => {
  stack = await startStack();
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const isoDay = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

function explorer(params: Record<string, string>): string {
  return `${stack.urls.app}/api-explorer?${new URLSearchParams(params).toString()}`;
}

async function status(page: Page): Promise<string> {
  return page.getByTestId('status').innerText();
}

async function bodyJson(page: Page): Promise<Record<string, unknown>> {
  return JSON.parse(await page.getByTestId('body').innerText()) as Record<string, unknown>;
}

async function pickerAccountIds(page: Page): Promise<string[]> {
  const options = await page.getByTestId('account-picker').locator('option:not([value=""])').all();
  return Promise.all(options.map(async (o) => (await o.getAttribute('value')) ?? ''));
}

const transactionIds = (body: Record<string, unknown>) => (body.transactions as { transactionId: string }[]).map((t) => t.transactionId);

/** App → OP login form → (consent) → back in the app, logged in as `user`. */
async function logIn(page: Page, user: (typeof USERS)[keyof typeof USERS], shots?: { login: string; consent: string }) {
  await page.goto(`${stack.urls.app}/login`);
  await page.waitForURL(`${stack.urls.auth}/**`);
  if (shots) await browser.screenshot(shots.login);
  await signIn(page, user);
  await page.locator(OP.consentAllow).waitFor();
  if (shots) await browser.screenshot(shots.consent);
  const scopes = await approveConsent(page);
  await page.waitForURL(`${stack.urls.app}/`);
  return scopes;
}

describe('user journeys in Chromium through Caddy', () => {
  it('demo user: login + consent, accounts, transaction pages, statement PDF, /token, refresh, logout at the OP', async () => {
    const { page } = browser;
    const app = stack.urls.app;

    // The app discovers the OP in the background (with backoff): reload until it offers the login.
    const loginLink = page.getByRole('link', { name: 'Log in with the bank' });
    await expect
      .poll(async () => (await page.goto(`${app}/`), loginLink.isVisible()), { timeout: 30_000, interval: 500 })
      .toBe(true);
    await browser.screenshot('home');
    await Promise.all([page.waitForURL(`${stack.urls.auth}/**`), loginLink.click()]);
    await page.waitForURL(`${stack.urls.auth}/**`);
    await browser.screenshot('op-login');
    await signIn(page, USERS.demo);
    await page.locator(OP.consentAllow).waitFor();
    expect(await page.locator(OP.consentClient).innerText()).toBe('Open Finance demo app');
    await browser.screenshot('op-consent');
    const scopes = await approveConsent(page);
    expect(scopes).toEqual(expect.arrayContaining(['openid', 'accounts:read', 'transactions:read']));
    await page.waitForURL(`${app}/`);
    const loginState = await page.getByTestId('login-state').innerText();
    expect(loginState).toContain(USERS.demo.sub);
    expect(loginState).toContain(USERS.demo.email);
    await browser.screenshot('home-logged-in');

    // Accounts: the picker is filled from GET /accounts, only the customer's own.
    await page.goto(explorer({ endpoint: 'accounts' }));
    expect(await status(page)).toBe('200');
    const accountIds = await pickerAccountIds(page);
    expect(accountIds).toContain('acc-10001-checking');
    expect(accountIds.every((id) => id.startsWith('acc-10001-'))).toBe(true);
    await browser.screenshot('explorer-accounts');

    // Transactions over 90 days, 5 per page: follow nextOffset twice, pages never overlap.
    await page.goto(explorer({ endpoint: 'transactions', accountId: 'acc-10001-checking', startTime: isoDay(90), endTime: isoDay(0), limit: '5' }));
    expect(await status(page)).toBe('200');
    const seen = new Set<string>();
    for (let n = 1; n <= 3; n++) {
      const body = await bodyJson(page);
      const ids = transactionIds(body);
      expect(ids).toHaveLength(5);
      for (const id of ids) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
      if (n === 1) await browser.screenshot('explorer-transactions');
      if (n < 3) {
        expect((body.page as { nextOffset?: string }).nextOffset).toBeTruthy();
        await Promise.all([page.waitForNavigation(), page.getByTestId('next-page').click()]);
        expect(await status(page)).toBe('200');
        expect(new URL(page.url()).searchParams.get('offset')).toBeTruthy();
      }
    }
    await browser.screenshot('explorer-transactions-page-3');

    // Statements: listed with links that open the PDF through the app.
    await page.goto(explorer({ endpoint: 'statements', accountId: 'acc-10001-checking' }));
    expect(await status(page)).toBe('200');
    const pdfLink = page.getByRole('link', { name: /Open statement .* \(PDF\)/ }).first();
    const pdf = await page.request.get(new URL((await pdfLink.getAttribute('href'))!, app).href);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdf.body()).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    await browser.screenshot('explorer-statements');

    // /token: the verified ID token's subject is the FDX customer id, with the profile claims.
    await page.goto(`${app}/token`);
    expect(await page.getByTestId('sub').innerText()).toBe(USERS.demo.sub);
    await browser.screenshot('token');

    // Refresh: a new access token replaces the old one.
    await page.goto(`${app}/debug/tokens`);
    expect(await page.getByTestId('refresh-presence').innerText()).toContain('present');
    const before = await page.getByTestId('access-token-raw').innerText();
    await browser.screenshot('debug-tokens');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Refresh tokens' }).click()]);
    expect(await page.getByRole('status').innerText()).toContain('Tokens refreshed.');
    const after = await page.getByTestId('access-token-raw').innerText();
    expect(after).toMatch(/^ey/);
    expect(after).not.toBe(before);
    await browser.screenshot('debug-tokens-refreshed');
    // The refreshed token still works at the API.
    await page.goto(explorer({ endpoint: 'customer' }));
    expect(await status(page)).toBe('200');

    // Logout: local session gone, and the OP's session too (a new login asks for the password).
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Log out' }).click()]);
    await page.waitForURL(`${stack.urls.auth}/**`);
    await page.locator(OP.logoutConfirm).waitFor();
    await browser.screenshot('op-logout-confirm');
    await confirmLogout(page);
    await page.waitForURL(`${app}/**`);
    expect(await page.getByTestId('login-state').innerText()).toContain('You are not logged in.');
    await browser.screenshot('logged-out');
    await page.goto(`${app}/login`);
    await page.waitForURL(`${stack.urls.auth}/**`);
    await page.locator(OP.loginForm).waitFor();
    expect(await page.locator(OP.password).isVisible()).toBe(true);
  });

  it('blocked user gets a readable access_denied refusal in the app', async () => {
    const { page } = browser;
    await browser.context.clearCookies();
    await page.goto(`${stack.urls.app}/login`);
    await page.waitForURL(`${stack.urls.auth}/**`);
    await signIn(page, USERS.blocked);
    await page.waitForURL(`${stack.urls.app}/callback**`);
    const error = await page.getByTestId('error').innerText();
    expect(error).toContain('The identity provider refused the authorization');
    expect(error).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
    expect(await page.content()).not.toMatch(/Error: |node_modules/);
    await browser.screenshot('blocked-refused');
    await page.goto(`${stack.urls.app}/`);
    expect(await page.getByTestId('login-state').innerText()).toContain('You are not logged in.');
  });

  it('user2 sees only their own accounts; a demo-user account answers the FDX 404/701', async () => {
    const { page } = browser;
    await browser.context.clearCookies();
    await logIn(page, USERS.user2);
    await page.goto(explorer({ endpoint: 'customer' }));
    expect((await bodyJson(page)).customerId).toBe(USERS.user2.sub);

    await page.goto(explorer({ endpoint: 'accounts' }));
    expect(await status(page)).toBe('200');
    const ids = await pickerAccountIds(page);
    expect(ids.sort()).toEqual(['acc-10002-card', 'acc-10002-checking', 'acc-10002-ira', 'acc-10002-studentloan']);
    const body = await page.getByTestId('body').innerText();
    expect(body).not.toContain('acc-10001-');
    expect(body).not.toContain(USERS.demo.sub);
    await browser.screenshot('user2-accounts');

    await page.goto(explorer({ endpoint: 'account', accountId: 'acc-10001-checking' }));
    expect(await status(page)).toBe('404');
    const fdxError = await page.getByTestId('fdx-error').innerText();
    expect(fdxError).toContain('701');
    expect(await page.getByTestId('body').innerText()).not.toContain('Main checking');
    await browser.screenshot('user2-foreign-account');

    // The remembered grant is reused: logging in again goes through the OP without any page.
    const visited: string[] = [];
    page.on('framenavigated', (frame) => visited.push(frame.url()));
    await page.goto(`${stack.urls.app}/login?returnTo=/token`);
    await page.waitForURL(`${stack.urls.app}/token`);
    expect(await page.getByTestId('sub').innerText()).toBe(USERS.user2.sub);
    expect(visited.filter((url) => url.startsWith(stack.urls.auth))).toEqual([]);
  });
});
