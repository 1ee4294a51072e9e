// The user journeys of issue 2 in a real browser (Chromium through Caddy's HTTPS): the demo user's
// whole visit, the blocked user's refusal and the second customer's isolation. One stack for the
// file; the tests run in order and share the browser (each clears its cookies first). The demo
// user's visit is @kit/harness/journeys' demoUserJourney, which the compose test runs against the containers.
import { openBrowser, type BrowserSession } from '@kit/harness/browser';
import { demoUserJourney, explorerBody, explorerStatus, explorerUrl, logIn, pickerAccountIds } from '@kit/harness/journeys';
import { signIn, USERS } from '@kit/harness/op-pages';
import { startStack, type Stack } from '@kit/harness/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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

describe('user journeys in Chromium through Caddy', () => {
  it('demo user: login + consent, accounts, transaction pages, statement PDF, /token, refresh, logout at the OP', async () => {
    await demoUserJourney(browser, stack.urls, { screenshots: '' });
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
    await logIn(browser, stack.urls, USERS.user2);
    await page.goto(explorerUrl(stack.urls.app, { endpoint: 'customer' }));
    expect((await explorerBody(page)).customerId).toBe(USERS.user2.sub);

    await page.goto(explorerUrl(stack.urls.app, { endpoint: 'accounts' }));
    expect(await explorerStatus(page)).toBe('200');
    const ids = await pickerAccountIds(page);
    expect(ids.sort()).toEqual(['acc-10002-card', 'acc-10002-checking', 'acc-10002-ira', 'acc-10002-studentloan']);
    const body = await page.getByTestId('body').innerText();
    expect(body).not.toContain('acc-10001-');
    expect(body).not.toContain(USERS.demo.sub);
    await browser.screenshot('user2-accounts');

    await page.goto(explorerUrl(stack.urls.app, { endpoint: 'account', accountId: 'acc-10001-checking' }));
    expect(await explorerStatus(page)).toBe('404');
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
