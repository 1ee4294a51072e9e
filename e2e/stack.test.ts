import { openBrowser, type BrowserSession } from '@kit/harness/browser';
import { Https, httpsGet } from '@kit/harness/http';
import { Scrape } from '@kit/harness/metrics';
import { OAuthClient } from '@kit/harness/oauth';
import { operatorQueries } from '@kit/harness/operator-docs';
import { promqlRefs } from '@kit/harness/promql';
import { DEV_CLIENT, SERVICES, startStack, type Stack } from '@kit/harness/stack';
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

  it('serves a client that follows RFC 9728: the resource the API advertises is one the OP issues tokens for, and the API accepts them', async () => {
    const https = new Https(stack.ca);
    try {
      const metadata = (await https.fetch(`${stack.urls.api}/.well-known/oauth-protected-resource`)).json<{ resource: string; authorization_servers: string[] }>();
      expect(metadata.resource).toBe(stack.urls.api);
      const client = new OAuthClient(metadata.authorization_servers[0]!, {
        http: https,
        apiUrl: metadata.resource,
        client: { client_id: DEV_CLIENT.id, client_secret: DEV_CLIENT.secret, redirect_uris: [`${stack.urls.app}/callback`] },
      });
      const { code, verifier, error } = await client.authorize({ resource: metadata.resource, prompt: 'consent' });
      expect(error).toBeNull();
      const tokens = await client.exchange(code!, verifier);
      expect(tokens.status, tokens.text).toBe(200);
      const claims = JSON.parse(Buffer.from(tokens.body.access_token.split('.')[1]!, 'base64url').toString()) as { aud: string };
      expect(claims.aud).toBe(metadata.resource);
      const accounts = await client.api('/accounts', tokens.body.access_token);
      expect(accounts.status, accounts.body.slice(0, 200)).toBe(200);
    } finally {
      https.close();
    }
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

/** Series Prometheus writes itself for every target it scrapes. */
const PROMETHEUS_OWN = new Set(['up']);

describe("the operator's dashboard and alert rules (docs/grafana, docs/prometheus)", () => {
  it('query only metrics the running services serve on their metrics listeners', async () => {
    const scrapes = await Promise.all(stack.instances.map((i) => Scrape.from(i.metricsUrl)));
    const queries = operatorQueries();
    expect(queries.length).toBeGreaterThan(20);
    const unknown = queries.flatMap(({ where, expr }) => {
      const names = promqlRefs(expr);
      if (names.length === 0) return [`no metric at all (${where})`];
      return names.filter((name) => !PROMETHEUS_OWN.has(name) && !scrapes.some((s) => s.declares(name))).map((name) => `${name} (${where})`);
    });
    expect(unknown).toEqual([]);
  });
});
