// Sign-in at the bank's own IdP (UPSTREAM_OIDC_*) in a real browser: the app sends Chromium to the
// OP, the OP sends it on to the bank's IdP (a second oidc-provider, plain http on loopback), and
// back through the OP's consent page to the app, signed in as the customer the IdP named.
import { bankUpstreamEnv, reserveBankIdp, type BankIdp } from '@kit/harness/bank-idp';
import { openBrowser, type BrowserSession } from '@kit/harness/browser';
import { startStack, type Stack } from '@kit/harness/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveConsent, OP } from '@kit/harness/op-pages';

let idp: BankIdp;
let stack: Stack;
let browser: BrowserSession;

beforeAll(async () => {
  idp = await reserveBankIdp();
  stack = await startStack({ env: { auth: bankUpstreamEnv(idp.issuer) } });
  await idp.start(`${stack.urls.auth}/interaction/upstream/callback`);
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await idp?.close();
});

describe("sign-in at the bank's IdP in Chromium", () => {
  it('goes app → OP → bank login → OP consent → app, signed in as the mapped customer', async () => {
    const { page } = browser;
    await page.context().clearCookies();
    await page.goto(`${stack.urls.app}/login`);
    await page.waitForURL(`${idp.issuer}/bank-login/**`);
    await page.locator('#user').selectOption('alice');
    await Promise.all([page.waitForURL(`${stack.urls.auth}/interaction/**`), page.locator('#bank-submit').click()]);
    await approveConsent(page);
    await page.waitForURL(`${stack.urls.app}/`);
    await page.goto(`${stack.urls.app}/token`);
    const claims = await page.content();
    expect(claims).toContain('cust-10002');
    expect(claims).toContain('Alice Upstream');
  });

  it('shows the OP error page when the person cancels at the bank', async () => {
    const { page } = browser;
    await page.context().clearCookies();
    await page.goto(`${stack.urls.app}/login`);
    await page.waitForURL(`${idp.issuer}/bank-login/**`);
    await Promise.all([page.waitForURL(`${stack.urls.auth}/interaction/**`), page.locator('#bank-cancel').click()]);
    await expect(page.locator(OP.errorDescription).innerText()).resolves.toContain('cancelled or refused');
  });
});
