// The user journeys of issue 2 in a real browser. PENDING MERGE: apps/auth (login, consent,
// blocked user) and apps/api (FDX data) are still skeletons on this branch, so these are
// skipped, not passing. To enable: change `describe.skip` to `describe`, adapt op-pages.ts to
// the OP's views, and make the OP accept this run's redirect URI (see e2e/README.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './browser.js';
import { startStack, type Stack } from './harness.js';
import { approveConsent, confirmLogout, signIn, USERS } from './op-pages.js';

describe.skip('PENDING MERGE (auth + api): user journeys in Chromium', () => {
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

  it('demo user: login + consent, accounts, transaction pages, statement PDF, /token sub, refresh, logout at the OP', async () => {
    const { page } = browser;
    const screenshot = (name: string) => browser.screenshot(name);
    const app = stack.urls.app;
    await page.goto(`${app}/`);
    await page.getByRole('link', { name: 'Log in with the bank' }).click();
    await page.waitForURL(`${stack.urls.auth}/**`);
    await screenshot('op-login');
    await signIn(page, USERS.demo);
    await screenshot('op-consent');
    await approveConsent(page);
    await page.waitForURL(`${app}/`);
    await expect.poll(() => page.getByTestId('login-state').innerText()).toContain(USERS.demo.sub);
    await screenshot('home-logged-in');

    await page.goto(`${app}/api-explorer?endpoint=accounts`);
    expect(await page.getByTestId('status').innerText()).toBe('200');
    const options = await page.getByTestId('account-picker').locator('option:not([value=""])').all();
    const accountIds = await Promise.all(options.map(async (o) => (await o.getAttribute('value'))!));
    expect(accountIds.length).toBeGreaterThan(0);
    await screenshot('explorer-accounts');

    await page.goto(`${app}/api-explorer?endpoint=transactions&accountId=${encodeURIComponent(accountIds[0]!)}&limit=2`);
    expect(await page.getByTestId('status').innerText()).toBe('200');
    const firstPage = await page.getByTestId('body').innerText();
    await page.getByTestId('next-page').click();
    expect(await page.getByTestId('status').innerText()).toBe('200');
    expect(await page.getByTestId('body').innerText()).not.toBe(firstPage);
    await screenshot('explorer-transactions');

    await page.goto(`${app}/api-explorer?endpoint=statements&accountId=${encodeURIComponent(accountIds[0]!)}`);
    const pdfLink = page.getByRole('link', { name: /Open statement .* \(PDF\)/ }).first();
    const pdf = await page.request.get(new URL((await pdfLink.getAttribute('href'))!, app).href);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');
    await screenshot('explorer-statements');

    await page.goto(`${app}/token`);
    expect(await page.getByTestId('sub').innerText()).toBe(USERS.demo.sub);
    await screenshot('token');

    await page.goto(`${app}/debug/tokens`);
    await page.getByRole('button', { name: 'Refresh tokens' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toContain('Tokens refreshed.');
    await screenshot('debug-tokens');

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${stack.urls.auth}/**`);
    await confirmLogout(page);
    await page.waitForURL(`${app}/**`);
    expect(await page.getByTestId('login-state').innerText()).toContain('You are not logged in.');
    // Ended at the OP too: logging in again asks for credentials.
    await page.goto(`${app}/login`);
    await page.waitForURL(`${stack.urls.auth}/**`);
    await expect.poll(() => page.getByLabel(/password/i).isVisible()).toBe(true);
  });

  it('blocked user gets a clear refusal', async () => {
    const { page } = browser;
    const screenshot = (name: string) => browser.screenshot(name);
    await browser.context.clearCookies();
    await page.goto(`${stack.urls.app}/login`);
    await signIn(page, USERS.blocked);
    await page.waitForURL(`${stack.urls.app}/callback**`);
    expect(await page.getByTestId('error').innerText()).toContain('The identity provider refused the authorization');
    await screenshot('blocked-user');
  });

  it('user2 sees only their own accounts', async () => {
    const { page } = browser;
    await browser.context.clearCookies();
    await page.goto(`${stack.urls.app}/login`);
    await signIn(page, USERS.user2);
    await approveConsent(page);
    await page.waitForURL(`${stack.urls.app}/`);
    await page.goto(`${stack.urls.app}/api-explorer?endpoint=customer`);
    expect(await page.getByTestId('body').innerText()).toContain(USERS.user2.sub);
    await page.goto(`${stack.urls.app}/api-explorer?endpoint=accounts`);
    const body = await page.getByTestId('body').innerText();
    expect(body).not.toContain(USERS.demo.sub);
    // TODO after merge: assert the seeded account ids of cust-10002 and that cust-10001's ids answer 404.
  });
});
