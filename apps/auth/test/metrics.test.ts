import { randomBytes } from 'node:crypto';
import { parseExposition, Scrape } from '@kit/harness/metrics';
import { basic, OAuthClient, pkcePair, TEST_CLIENT, type Tokens } from '@kit/harness/oauth';
import { ENGINES, createTestStore, type TestStore } from '@kit/harness/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuthDatabase } from '../src/db/open.js';
import { KeyCipher } from '../src/keys/key-cipher.js';
import { SigningKeyStore } from '../src/keys/key-store.js';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

async function loginPage(browser: OAuthClient) {
  return browser.get(browser.authorizeUrl({ challenge: pkcePair().challenge, state: randomBytes(4).toString('hex') }));
}

const TWO_DAYS_S = 2 * 86_400;
const HOUR_MS = 3_600_000;

describe.each(ENGINES)('OP metrics on %s, scraped from METRICS_PORT', (engine) => {
  let store: TestStore;
  let op: TestAuth;
  const scrape = () => Scrape.from(op.current.metricsServer!.url);

  beforeAll(async () => {
    store = await createTestStore(engine);
    op = await startTestAuth(store, {
      METRICS_PORT: '0',
      LOGIN_LOCKOUT_THRESHOLD: '2',
      RATE_LIMIT_SYNC_MS: '0',
      KEYS_ENCRYPTION_KEY: 'metrics-test-keys-encryption-key-0000000000',
      // Access tokens outliving the 24 h after which `keys retire` lets a former signer go.
      ACCESS_TOKEN_TTL: String(TWO_DAYS_S),
    });
  });
  afterAll(async () => {
    await op?.close();
    await store?.cleanup();
  });

  it('serves /metrics on its own loopback port, and not on the OP port', async () => {
    expect(op.current.metricsServer?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${op.url}/metrics`)).status).toBe(404);
  });

  it('counts a sign-in, a consent, the grants of a code flow and its refreshes by type and outcome, and the grant a reuse revokes', async () => {
    const before = await scrape();
    const browser = new OAuthClient(op.issuer);
    const { code, verifier } = await browser.authorize({ scope: 'openid offline_access accounts:read', prompt: 'consent' });
    const exchanged = await browser.exchange(code!, verifier);
    expect(exchanged.status).toBe(200);
    const { refresh_token: refreshToken } = exchanged.body as Tokens;
    expect((await browser.refresh(refreshToken)).status).toBe(200);
    expect((await browser.refresh('not-a-refresh-token')).status).toBe(400);
    // The rotated token again: reuse, the grant is revoked.
    expect((await browser.refresh(refreshToken)).status).toBe(400);
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => after.sum(name, labels) - before.sum(name, labels);

    expect(moved('op_logins_total', { outcome: 'success' })).toBe(1);
    expect(moved('op_consents_total', { decision: 'granted' })).toBe(1);
    expect(moved('op_token_grants_total', { grant_type: 'authorization_code', outcome: 'success' })).toBe(1);
    expect(moved('op_token_grants_total', { grant_type: 'refresh_token', outcome: 'success' })).toBe(1);
    expect(moved('op_token_grants_total', { grant_type: 'refresh_token', outcome: 'invalid_grant' })).toBe(2);
    expect(moved('op_grants_revoked_total', { reason: 'refresh_token_reuse' })).toBe(1);
    expect(moved('op_consents_ended_total', { status: 'REVOKED', ended_by: 'system', reason: 'refresh_token_reuse' })).toBe(1);
    expect(moved('op_consents_ended_total')).toBe(1);
    const storage = (model: string, operation: string) => moved('op_adapter_duration_seconds_count', { model, operation, outcome: 'ok' });
    expect(storage('AuthorizationCode', 'consume')).toBe(1);
    expect(storage('RefreshToken', 'find')).toBeGreaterThanOrEqual(2);
    expect(storage('Grant', 'find')).toBeGreaterThanOrEqual(1);
    // oidc-provider's endpoints by their template, the interaction routes by theirs (no uid).
    const requests = (labels: Record<string, string>) => moved('http_server_request_duration_seconds_count', labels);
    expect(requests({ http_request_method: 'POST', http_route: '/token', http_response_status_code: '200' })).toBe(2);
    expect(requests({ http_request_method: 'GET', http_route: '/auth' })).toBeGreaterThanOrEqual(1);
    expect(requests({ http_request_method: 'POST', http_route: '/interaction/:uid/login' })).toBe(1);
    expect(requests({ http_request_method: 'POST', http_route: '/interaction/:uid/confirm' })).toBe(1);
    expect(requests({ http_request_method: 'GET', http_route: '/auth/:uid' })).toBeGreaterThanOrEqual(1);
    const routes = new Set(after.matching('http_server_request_duration_seconds_count').map((s) => s.labels.http_route));
    for (const route of routes) expect(route).toMatch(/^(\/[a-z.\-_]*|\/:[a-zA-Z]+|\/\*)+$|^unmatched$/);
  });

  it('counts failed sign-ins, the lockout they cause, and failed client authentication', async () => {
    const before = await scrape();
    const browser = new OAuthClient(op.issuer);
    for (let i = 0; i < 2; i++) expect((await browser.login(await loginPage(browser), 'user2@example.test', `wrong-${i}`)).status).toBe(401);
    const wrongSecret = await fetch(`${op.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(TEST_CLIENT.client_id, 'not-the-secret-0123456789abcdef') },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x' }).toString(),
    });
    expect(wrongSecret.status).toBe(401);
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}) => after.sum(name, labels) - before.sum(name, labels);

    expect(moved('op_logins_total', { outcome: 'failure' })).toBe(2);
    expect(moved('op_lockouts_total')).toBe(1);
    expect(moved('op_client_authentication_failures_total', { endpoint: 'token' })).toBe(1);
    expect(moved('op_token_grants_total', { grant_type: 'refresh_token', outcome: 'invalid_client' })).toBe(1);
    // Bounded labels: no client id, e-mail, customer id or password anywhere.
    const values = after.samples.flatMap((s) => Object.values(s.labels)).join(' ');
    for (const id of [TEST_CLIENT.client_id, 'user2@example.test', 'user@example.test', 'cust-', 'wrong-']) expect(values).not.toContain(id);
  });

  it('reports the age of every published database key and of the one that signs, never of a static key', async () => {
    const staticOnly = await scrape();
    expect(staticOnly.families.get('op_signing_key_in_use_age_seconds')).toBe('gauge');
    expect(staticOnly.matching('op_signing_key_in_use_age_seconds')).toEqual([]);
    const database = await openAuthDatabase(op.config);
    let kid: string;
    try {
      const keys = new SigningKeyStore(database.db, new KeyCipher(op.config.keysEncryptionKey!));
      kid = (await keys.generate('RS256', null)).kid;
      const published = await scrapeAfterRestart();
      expect(published.sum('op_signing_key_age_seconds', { kid, alg: 'RS256', state: 'next' })).toBeGreaterThanOrEqual(0);
      expect(published.matching('op_signing_key_in_use_age_seconds')).toEqual([]);
      await keys.promote(kid, true);
    } finally {
      await database.close();
    }
    const promoted = await scrapeAfterRestart();
    const age = promoted.sum('op_signing_key_in_use_age_seconds', { alg: 'RS256' });
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);
    expect(promoted.matching('op_signing_key_age_seconds', { kid, state: 'current' })).toHaveLength(1);
  });

  it('counts the consent a client ends by revoking its refresh token, by status, who ended it and why', async () => {
    const browser = new OAuthClient(op.issuer);
    const { code, verifier } = await browser.authorize({ scope: 'openid offline_access accounts:read', prompt: 'consent' });
    const { refresh_token: refreshToken } = (await browser.exchange(code!, verifier)).body as Tokens;
    const before = await scrape();
    const revoked = await browser.backChannel('/token/revocation', { token: refreshToken, token_type_hint: 'refresh_token' });
    expect(revoked.status).toBe(200);
    const after = await scrape();
    const ended = { status: 'REVOKED', ended_by: 'client', reason: 'token_revoked' };
    expect(after.sum('op_consents_ended_total', ended) - before.sum('op_consents_ended_total', ended)).toBe(1);
    expect(after.sum('op_consents_ended_total') - before.sum('op_consents_ended_total')).toBe(1);
  });

  it('reports how long a former signer stays needed, and a retired key whose tokens are still valid', async () => {
    const database = await openAuthDatabase(op.config);
    let first: string;
    try {
      const keys = new SigningKeyStore(database.db, new KeyCipher(op.config.keysEncryptionKey!));
      first = (await keys.generate('RS256', null)).kid;
      await keys.promote(first, true);
      await keys.promote((await keys.generate('RS256', null)).kid, true);
    } finally {
      await database.close();
    }
    const replaced = await scrapeAfterRestart();
    const needed = replaced.sum('op_signing_key_needed_seconds', { kid: first, alg: 'RS256', state: 'previous' });
    // The longest token lifetime plus the key reload interval, counted from the takeover a moment ago.
    const window = TWO_DAYS_S + op.config.keysReloadIntervalSeconds;
    expect(needed).toBeGreaterThan(window - 60);
    expect(needed).toBeLessThanOrEqual(window);

    // The operator retires it the day after, as the CLI allows (24 h after it stopped signing): its tokens still live.
    const later = await openAuthDatabase(op.config);
    try {
      await new SigningKeyStore(later.db, new KeyCipher(op.config.keysEncryptionKey!), () => Date.now() + 25 * HOUR_MS).retire(first);
    } finally {
      await later.close();
    }
    const retired = await scrapeAfterRestart();
    expect(retired.matching('op_signing_key_needed_seconds', { kid: first, state: 'previous' })).toEqual([]);
    expect(retired.sum('op_signing_key_needed_seconds', { kid: first, alg: 'RS256', state: 'retired' })).toBeGreaterThan(window - 60);
    expect(retired.matching('op_signing_key_age_seconds', { kid: first })).toEqual([]);
  });

  async function scrapeAfterRestart() {
    await op.restart();
    return scrape();
  }
});

describe('OP with METRICS_ENABLED=false', () => {
  let store: TestStore;
  let op: TestAuth;
  beforeAll(async () => {
    store = await createTestStore('sqlite');
    op = await startTestAuth(store, { METRICS_ENABLED: 'false' });
  });
  afterAll(async () => {
    await op?.close();
    await store?.cleanup();
  });

  it('serves a code flow and a refresh without timing requests or storage, and opens no listener', async () => {
    expect(op.current.metricsServer).toBeUndefined();
    const browser = new OAuthClient(op.issuer);
    const { code, verifier } = await browser.authorize({ scope: 'openid offline_access accounts:read', prompt: 'consent' });
    const exchanged = await browser.exchange(code!, verifier);
    expect(exchanged.status).toBe(200);
    expect((await browser.refresh((exchanged.body as Tokens).refresh_token)).status).toBe(200);
    const names = new Set(parseExposition(await op.current.metrics.service.scrape()).map((s) => s.name));
    expect(names.has('http_server_request_duration_seconds_count')).toBe(false);
    expect(names.has('op_adapter_duration_seconds_count')).toBe(false);
  });
});
