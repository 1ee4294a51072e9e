import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthClient, pkcePair, tokenRequest } from '@kit/harness/oauth';
import { createTestStore, type TestStore } from '@kit/harness/store';
import { TcpRelay } from '@kit/harness/tcp-relay';
import { startTestAuth, type TestAuth } from './helpers/auth-server.js';

describe('PostgreSQL outage', () => {
  let store: TestStore;
  let auth: TestAuth;
  let proxy: TcpRelay;

  beforeAll(async () => {
    store = await createTestStore('postgres');
    const url = new URL(store.env.DATABASE_URL!);
    proxy = new TcpRelay(url.hostname, Number(url.port || 5432));
    await proxy.start();
    url.host = `127.0.0.1:${proxy.port}`;
    auth = await startTestAuth(store, { DATABASE_URL: url.toString() });
  });
  afterAll(async () => {
    await auth?.close();
    await proxy?.stop();
    await store?.cleanup();
  });

  it('answers 503 temporarily_unavailable while the database is down, then recovers by itself', async () => {
    const browser = new OAuthClient(auth.issuer);
    const before = await browser.authorize();
    expect(before.code).toBeTruthy();

    const port = proxy.port;
    await proxy.stop();

    const token = await tokenRequest(auth.issuer, { grant_type: 'refresh_token', refresh_token: 'x' });
    expect(token.status).toBe(503);
    expect(token.body.error).toBe('temporarily_unavailable');
    expect(JSON.stringify(token.body)).not.toMatch(/ECONN|at .*:\d+/);

    // A browser step that can not continue: the client learns why (RFC 6749 §4.1.2.1).
    const page = await browser.request(browser.authorizeUrl({ challenge: pkcePair().challenge, state: randomBytes(4).toString('hex') }));
    expect(page.status).toBe(303);
    expect(new URL(page.headers.get('location')!).searchParams.get('error')).toBe('temporarily_unavailable');

    // An interaction page renders the friendly error page with 503.
    const interaction = await browser.request(`${auth.issuer}/interaction/some-uid`, { headers: { accept: 'text/html' } });
    expect(interaction.status).toBe(503);
    const html = interaction.body;
    expect(html).toContain('temporarily_unavailable');
    expect(html).not.toMatch(/ECONN|node_modules/);

    const ready = await fetch(`${auth.issuer}/public/ready`);
    expect(ready.status).toBe(503);

    await proxy.start(port);
    expect((await fetch(`${auth.issuer}/public/ready`)).status).toBe(200);
    const after = await new OAuthClient(auth.issuer).authorize();
    expect(after.code).toBeTruthy();
  });
});
