// Certificate-bound access tokens (RFC 8705) at the API, and the header that carries the client
// certificate: believed only from the TLS proxy's address.
import { certificateThumbprint } from '@apps/shared';
import { TestCertificates, type IssuedCertificate } from '@kit/harness/certs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type TestApi } from './support.js';

let certs: TestCertificates;
let bound: IssuedCertificate;
let other: IssuedCertificate;

beforeAll(() => {
  certs = new TestCertificates();
  bound = certs.issue('CN=recipient,O=Aggregator');
  other = certs.issue('CN=someone-else,O=Aggregator');
});
afterAll(() => certs?.cleanup());

const header = (cert: IssuedCertificate) => ({ 'x-client-cert': cert.x509.raw.toString('base64') });

describe('certificate-bound access tokens', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api?.close());

  it('serves a bound token with its certificate, and refuses it without, with another, or with an empty header', async () => {
    const token = await api.token({ cnf: { 'x5t#S256': certificateThumbprint(bound.x509) } });
    expect((await api.get('/accounts', token, header(bound))).status).toBe(200);
    for (const [name, headers] of [['none', {}], ['another', header(other)], ['empty', { 'x-client-cert': '' }], ['garbage', { 'x-client-cert': 'bm90IGEgY2VydA==' }]] as const) {
      const res = await api.get('/accounts', token, headers);
      expect(res.status, name).toBe(401);
      expect(res.headers.get('www-authenticate'), name).toMatch(/error="invalid_token".*client certificate/);
      expect(await res.json()).toMatchObject({ code: 602 });
    }
    // The memo of verified tokens does not skip the check.
    expect((await api.get('/accounts', token)).status).toBe(401);
  });

  it('refuses a token bound by a confirmation method it cannot check', async () => {
    const res = await api.get('/accounts', await api.token({ cnf: { jkt: 'a-dpop-key-thumbprint' } }));
    expect(res.status).toBe(401);
  });

  it('serves unbound tokens whether or not a certificate was presented', async () => {
    const token = await api.token();
    expect((await api.get('/accounts', token)).status).toBe(200);
    expect((await api.get('/accounts', token, header(other))).status).toBe(200);
  });
});

describe('the client certificate header from anyone but the proxy', () => {
  let api: TestApi;
  beforeAll(async () => {
    // The proxy is elsewhere: this test's loopback connection is not it.
    api = await startApi({ env: { TRUSTED_PROXIES: '10.255.255.1' } });
  });
  afterAll(() => api?.close());

  it('is refused with 400, while requests without it are served', async () => {
    const token = await api.token();
    const res = await api.get('/accounts', token, header(bound));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 703, debugMessage: expect.stringContaining('TLS proxy') });
    expect((await api.get('/accounts', token)).status).toBe(200);
  });
});
