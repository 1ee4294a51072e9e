// The app as a client of an OP that wants pushed authorization requests (RFC 9126): with
// USE_PAR=true the authorization parameters go to the OP's PAR endpoint and the browser carries
// only client_id and request_uri.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from './helpers/browser.js';
import { login, reserveServer, startApp, type AppUnderTest } from './helpers/app-harness.js';
import { CLIENT_ID, startOp, type OpFixture } from './helpers/op-fixture.js';

let op: OpFixture;
let app: AppUnderTest;

beforeAll(async () => {
  const reserved = await reserveServer();
  op = await startOp(reserved.url);
  app = await startApp({ issuer: op.issuer, env: { USE_PAR: 'true' } }, reserved);
  await app.oidc.ready();
});

afterAll(async () => {
  await app?.close();
  await op?.close();
});

describe('login through a pushed authorization request', () => {
  it('sends the browser to the OP with only client_id and a request_uri', async () => {
    const res = await new Browser().request(`${app.url}/login`);
    expect(res.status).toBe(303);
    const url = new URL(res.headers.get('location')!);
    expect(`${url.origin}${url.pathname}`).toBe(`${op.issuer}/auth`);
    expect([...url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
  });

  it('completes the login: the pushed request carried PKCE, state and nonce, and the callback is verified as usual', async () => {
    const browser = new Browser();
    const { res, url } = await login(browser, app);
    expect(url).toBe(`${app.url}/`);
    expect(await res.text()).toContain('cust-10001');
  });
});
