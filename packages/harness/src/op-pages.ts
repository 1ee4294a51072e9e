// How tests drive the OP's own pages (apps/auth) in a browser. The ids are the OP's documented page
// selectors (apps/auth/README.md, "Page selectors"); the journeys and e2e flows only call these functions.
import type { Page } from 'playwright-core';

export const USERS = {
  demo: { email: 'user@example.test', password: 'passw0rd!', sub: 'cust-10001' },
  user2: { email: 'user2@example.test', password: 'passw0rd!', sub: 'cust-10002' },
  blocked: { email: 'blocked@example.test', password: 'passw0rd!', sub: 'cust-10003' },
} as const;

export const OP = {
  loginForm: '#login-form',
  email: '#email',
  password: '#password',
  loginSubmit: '#login-submit',
  loginError: '#login-error',
  consentAllow: '#consent-allow',
  consentDeny: '#consent-deny',
  consentScopes: '#consent-scopes li[data-scope]',
  consentClient: '#consent-client',
  logoutConfirm: '#logout-confirm',
  logoutCancel: '#logout-cancel',
  errorCode: '#error-code',
  errorDescription: '#error-description',
  consentAccount: '#consent-accounts input[name="account"]',
  connectionsActive: '#connections-active > li[data-connection]',
  connectionsEnded: '#connections-ended > li[data-connection]',
  connectionsStopped: '#connections-stopped',
  stopConfirm: '#stop-confirm',
} as const;

/** The OP's "Connected apps" page. */
export const CONNECTIONS_PATH = '/account/connections';

/** Fills the OP's login form (it must be showing) and submits it. */
export async function signIn(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.locator(OP.loginForm).waitFor();
  await page.locator(OP.email).fill(user.email);
  await page.locator(OP.password).fill(user.password);
  await Promise.all([page.waitForNavigation(), page.locator(OP.loginSubmit).click()]);
}

/** The scopes the consent page lists, then "Allow". */
export async function approveConsent(page: Page): Promise<string[]> {
  await page.locator(OP.consentAllow).waitFor();
  const items = await page.locator(OP.consentScopes).all();
  const scopes = await Promise.all(items.map(async (li) => (await li.getAttribute('data-scope')) ?? ''));
  await Promise.all([page.waitForNavigation(), page.locator(OP.consentAllow).click()]);
  return scopes;
}

export async function confirmLogout(page: Page): Promise<void> {
  await page.locator(OP.logoutConfirm).waitFor();
  await Promise.all([page.waitForNavigation(), page.locator(OP.logoutConfirm).click()]);
}

/** The accounts the consent page offers (their FDX accountIds), in its order. */
export async function consentAccountIds(page: Page): Promise<string[]> {
  return Promise.all((await page.locator(OP.consentAccount).all()).map(async (box) => (await box.getAttribute('value')) ?? ''));
}

/** On the consent page: leaves exactly these accounts checked. */
export async function shareOnly(page: Page, accountIds: readonly string[]): Promise<void> {
  for (const box of await page.locator(OP.consentAccount).all()) await box.setChecked(accountIds.includes((await box.getAttribute('value')) ?? ''));
}

/** The consent ids the connected-apps page lists as active and as ended. */
export async function listedConnections(page: Page): Promise<{ active: string[]; ended: string[] }> {
  const ids = async (selector: string) => Promise.all((await page.locator(selector).all()).map(async (li) => (await li.getAttribute('data-connection')) ?? ''));
  return { active: await ids(OP.connectionsActive), ended: await ids(OP.connectionsEnded) };
}

/** On the connected-apps page: "Stop sharing" for one connection, to its confirmation page. */
export async function openStopSharing(page: Page, consentId: string): Promise<void> {
  const connection = page.locator(`${OP.connectionsActive}[data-connection="${consentId}"]`);
  await Promise.all([page.waitForNavigation(), connection.locator('a[data-action="stop"]').click()]);
  await page.locator(OP.stopConfirm).waitFor();
}
