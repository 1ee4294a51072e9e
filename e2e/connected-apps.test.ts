// Issue 16's consent lifecycle in Chromium on the scale topology (two OP and two API instances on
// PostgreSQL behind Caddy): the customer shares two of their accounts with the demo app, the app's
// API explorer sees exactly those two, the OP's "Connected apps" page lists the connection, Stop
// sharing ends it, and both API instances refuse its access token (401, FDX 602) within 5 s while
// the app can no longer refresh. Also takes the README's screenshots of these pages.
import { openBrowser, type BrowserSession } from '@kit/harness/browser';
import { explorerUrl, explorerStatus, pickerAccountIds } from '@kit/harness/journeys';
import { approveConsent, consentAccountIds, CONNECTIONS_PATH, listedConnections, OP, openStopSharing, shareOnly, signIn, USERS } from '@kit/harness/op-pages';
import { createTempDatabase, type TempDatabase } from '@kit/harness/postgres';
import { instanceUrl, refusedAfter } from '@kit/harness/revocation';
import type { Stack } from '@kit/harness/stack';
import { newSecrets, startTopology } from '@kit/harness/topology';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REVOCATION_LIMIT_MS = 5000;

let stack: Stack;
let browser: BrowserSession;
const databases: TempDatabase[] = [];

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

beforeAll(async () => {
  for (const _ of ['auth', 'api', 'app']) databases.push(await createTempDatabase('kit_connected'));
  stack = await startTopology({
    databaseUrls: { auth: databases[0]!.url, api: databases[1]!.url, app: databases[2]!.url },
    secrets: newSecrets(),
    // The polls below are many requests of one customer in a second.
    env: { auth: { RATE_LIMIT_API_PER_CUSTOMER: '0' } },
  });
  browser = await openBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  for (const db of databases) await db.drop();
});

describe('connected apps: share two accounts, see the connection, stop sharing', () => {
  it('the explorer sees only the two accounts shared; Stop sharing reaches both API instances within 5 s and ends the refresh token', async () => {
    const { page } = browser;
    const { app, auth } = stack.urls;

    // Consent: keep two of the demo customer's accounts.
    await page.goto(`${app}/login`);
    await page.waitForURL(`${auth}/**`);
    await signIn(page, USERS.demo);
    await page.locator(OP.consentAllow).waitFor();
    const listed = await consentAccountIds(page);
    expect(listed.length).toBeGreaterThanOrEqual(5);
    const shared = listed.slice(0, 2);
    await shareOnly(page, shared);
    await browser.screenshot('op-consent-accounts');
    await approveConsent(page);
    await page.waitForURL(`${app}/`);

    // The app's explorer: exactly those two.
    await page.goto(explorerUrl(app, { endpoint: 'accounts' }));
    expect(await explorerStatus(page)).toBe('200');
    expect((await pickerAccountIds(page)).sort()).toEqual([...shared].sort());

    // The token the app holds, served by both API instances.
    await page.goto(`${app}/debug/tokens`);
    const accessToken = await page.getByTestId('access-token-raw').innerText();
    const consentId = claimsOf(accessToken).fdxConsentId as string;
    const apis = stack.instances.filter((i) => i.service === 'api');
    expect(apis).toHaveLength(2);
    for (const api of apis) {
      const res = await fetch(`${instanceUrl(api.port)}/api/fdx/v6/accounts`, { headers: { authorization: `Bearer ${accessToken}` } });
      expect(res.status, api.id).toBe(200);
      await res.body?.cancel();
    }

    // The OP's page lists the connection (the browser's OP session from the app's sign-in).
    await page.goto(`${auth}${CONNECTIONS_PATH}`);
    expect((await listedConnections(page)).active).toEqual([consentId]);
    const connection = page.locator(`${OP.connectionsActive}[data-connection="${consentId}"]`);
    expect(await connection.locator('[data-field="app"]').innerText()).toBe('Demo app');
    expect(await connection.locator('[data-field="accounts"] li').count()).toBe(2);
    await browser.screenshot('op-connected-apps');

    // Stop sharing, confirmed; then until both API instances refuse the token.
    await openStopSharing(page, consentId);
    await browser.screenshot('op-connected-apps-stop');
    const from = performance.now();
    await Promise.all([page.waitForNavigation(), page.locator(OP.stopConfirm).click()]);
    const times = await Promise.all(apis.map((api) => refusedAfter(instanceUrl(api.port), accessToken, from, { intervalMs: 25, deadlineMs: 30_000 })));
    console.log(`[connected-apps] Stop sharing → 401/602 on ${apis.map((a, i) => `${a.id} after ${Math.round(times[i]!)} ms`).join(', ')}`);
    for (const ms of times) expect(ms).toBeLessThan(REVOCATION_LIMIT_MS);

    await page.locator(OP.connectionsStopped).waitFor();
    expect(await listedConnections(page)).toEqual({ active: [], ended: [consentId] });
    await browser.screenshot('op-connected-apps-ended');

    // The app's refresh token is refused (invalid_grant: the app says the session has ended).
    await page.goto(`${app}/debug/tokens`);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Refresh tokens' }).click()]);
    expect(await page.content()).toContain('Your session at the identity provider has ended');
  });
});
