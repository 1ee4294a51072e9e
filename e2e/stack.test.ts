import { openBrowser, type BrowserSession } from '@kit/harness/browser';
import { httpsGet } from '@kit/harness/http';
import { SERVICES, startStack, type Stack } from '@kit/harness/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: Stack;
let browser: BrowserSession | undefined;

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the stack behind Caddy', () => {
  it.each(SERVICES)('%s answers /public/health over HTTPS verified against the Caddy CA', async (name) => {
    const res = await httpsGet(`${stack.urls[name]}/public/health`, stack.ca);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
  });

  it('is not reachable by a client that does not trust the Caddy CA (TLS is really verified)', async () => {
    await expect(httpsGet(`${stack.urls.app}/public/health`, undefined)).rejects.toMatchObject({
      code: expect.stringMatching(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/),
    });
  });

  it('services trust the Caddy CA through NODE_EXTRA_CA_CERTS: the app reaches the OP over HTTPS', async () => {
    const appLog = () => stack.logTail('app', 500);
    await expect.poll(() => /identity provider (discovered|unreachable)/.test(appLog()), { timeout: 30_000 }).toBe(true);
    expect(appLog()).not.toMatch(/certificate|UNABLE_TO_VERIFY|SELF_SIGNED|ERR_TLS|CERT_/i);
  });

  it("renders the app's home page in Chromium", async () => {
    browser = await openBrowser();
    const response = await browser.page.goto(`${stack.urls.app}/`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => browser!.page.title()).toContain('Home');
    expect(await browser.page.locator('h1').innerText()).toBe('Relying-party demo app');
    // Tailwind's stylesheet is an external file (the CSP allows no inline styles).
    const href = await browser.page.locator('link[rel=stylesheet]').getAttribute('href');
    const css = await browser.page.request.get(new URL(href!, stack.urls.app).href);
    expect(css.status()).toBe(200);
    expect(css.headers()['content-type']).toContain('text/css');
    await browser.screenshot('stack-home');
  });
});
