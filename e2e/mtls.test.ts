// Mutual TLS through Caddy (RFC 8705) with a throwaway client CA: certificate client
// authentication at the OP's mTLS origin (tls_client_auth and self_signed_tls_client_auth) and
// certificate-bound access tokens the API accepts only with the same certificate.
import { certificateThumbprint } from '@apps/shared';
import { certificateJwk, TestCertificates, type IssuedCertificate } from '@kit/harness/certs';
import { Https } from '@kit/harness/http';
import { OAuthClient, type ClientRegistration } from '@kit/harness/oauth';
import { DEV_CLIENT, startStack, type Stack } from '@kit/harness/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REDIRECT = 'https://rp.example.test/callback';
const PKI_DN = 'CN=aggregator-mtls,O=Aggregator Inc';

let certs: TestCertificates;
let pkiCert: IssuedCertificate;
let otherSubject: IssuedCertificate;
let selfSigned: IssuedCertificate;
let stack: Stack;
const agents: Https[] = [];

const PKI_CLIENT: ClientRegistration = { client_id: 'mtls-pki', redirect_uris: [REDIRECT] };
const SELF_CLIENT: ClientRegistration = { client_id: 'mtls-self', redirect_uris: [REDIRECT] };

beforeAll(async () => {
  certs = new TestCertificates();
  pkiCert = certs.issue(PKI_DN);
  otherSubject = certs.issue('CN=someone-else,O=Aggregator Inc');
  selfSigned = certs.selfSigned('CN=self-signed-recipient');
  stack = await startStack({
    envFor: (urls) => ({
      auth: {
        MTLS_CA_FILE: certs.caFile,
        OIDC_CLIENTS: JSON.stringify([
          { client_id: DEV_CLIENT.id, client_secret: DEV_CLIENT.secret, redirect_uris: [`${urls.app}/callback`], post_logout_redirect_uris: [`${urls.app}/`], force_refresh_token: true },
          {
            ...PKI_CLIENT,
            client_name: 'Aggregator over mTLS',
            token_endpoint_auth_method: 'tls_client_auth',
            tls_client_auth_subject_dn: PKI_DN,
            tls_client_certificate_bound_access_tokens: true,
            force_refresh_token: true,
          },
          {
            ...SELF_CLIENT,
            client_name: 'Self-signed recipient',
            token_endpoint_auth_method: 'self_signed_tls_client_auth',
            jwks: { keys: [certificateJwk(selfSigned)] },
            tls_client_certificate_bound_access_tokens: true,
          },
        ]),
      },
    }),
  });
});

afterAll(async () => {
  for (const agent of agents) agent.close();
  await stack?.stop();
  certs?.cleanup();
});

function https(cert?: IssuedCertificate): Https {
  const agent = new Https(stack.ca, 16, { clientCertificate: cert });
  agents.push(agent);
  return agent;
}

/** The client's user agent on the OP's ordinary site; its back-channel calls on the mTLS origin with `cert`. */
function oauth(client: ClientRegistration, cert?: IssuedCertificate): OAuthClient {
  return new OAuthClient(stack.urls.auth, {
    client,
    http: https(),
    tokenOrigin: stack.mtlsUrl,
    tokenHttp: https(cert),
    apiUrl: stack.urls.api,
    authorization: { prompt: 'consent' },
  });
}

/** GET on the FDX API over a TLS connection that presents `cert` (or none). */
function apiWith(cert: IssuedCertificate | undefined, path: string, token: string, headers: Record<string, string> = {}) {
  return https(cert).fetch(`${stack.urls.api}/api/fdx/v6${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
}

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { cnf?: Record<string, string> };

describe('mutual TLS through Caddy', () => {
  it('advertises the mTLS endpoint aliases and certificate-bound tokens in discovery', async () => {
    const discovery = (await https().fetch(`${stack.urls.auth}/.well-known/openid-configuration`)).json<Record<string, unknown>>();
    expect(discovery.tls_client_certificate_bound_access_tokens).toBe(true);
    expect(discovery.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['tls_client_auth', 'self_signed_tls_client_auth']));
    expect(discovery.mtls_endpoint_aliases).toMatchObject({ token_endpoint: `${stack.mtlsUrl}/token`, pushed_authorization_request_endpoint: `${stack.mtlsUrl}/request` });
  });

  it('tls_client_auth: a certificate from the trusted CA with the registered subject gets a token bound to it, which the API takes only with that certificate', async () => {
    const client = oauth(PKI_CLIENT, pkiCert);
    const { code, verifier } = await client.authorize();
    const tokens = await client.exchange(code!, verifier);
    expect(tokens.status, tokens.text).toBe(200);
    const token = tokens.body.access_token;
    expect(claims(token).cnf).toEqual({ 'x5t#S256': certificateThumbprint(pkiCert.x509) });

    expect((await apiWith(pkiCert, '/accounts', token)).status).toBe(200);
    for (const [name, cert] of [['no certificate', undefined], ['another certificate of the same CA', otherSubject], ['a self-signed one', selfSigned]] as const) {
      const res = await apiWith(cert, '/accounts', token);
      expect(res.status, name).toBe(401);
      expect(res.headers.get('www-authenticate'), name).toContain('error="invalid_token"');
    }
    // The header Caddy fills can not be supplied by the client: Caddy overwrites it with the real (absent) certificate.
    const forged = await apiWith(undefined, '/accounts', token, { 'x-client-cert': pkiCert.x509.raw.toString('base64') });
    expect(forged.status).toBe(401);

    const refreshed = await client.refresh(tokens.body.refresh_token!);
    expect(refreshed.status, refreshed.text).toBe(200);
    expect(claims(refreshed.body.access_token).cnf?.['x5t#S256']).toBe(certificateThumbprint(pkiCert.x509));
  });

  it('tls_client_auth: refuses a missing certificate, another subject and a certificate of an untrusted issuer', async () => {
    for (const [name, cert] of [['no certificate', undefined], ['another subject', otherSubject], ['self-signed', selfSigned]] as const) {
      const client = oauth(PKI_CLIENT, cert);
      const { code, verifier } = await oauth(PKI_CLIENT, pkiCert).authorize();
      const res = await client.exchange(code!, verifier);
      expect(res.status, name).toBe(401);
      expect(res.body.error, name).toBe('invalid_client');
    }
  });

  it('self_signed_tls_client_auth: only the registered certificate authenticates the client', async () => {
    const { code, verifier } = await oauth(SELF_CLIENT, selfSigned).authorize();
    const wrong = await oauth(SELF_CLIENT, pkiCert).exchange(code!, verifier);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');

    const again = await oauth(SELF_CLIENT, selfSigned).authorize();
    const tokens = await oauth(SELF_CLIENT, selfSigned).exchange(again.code!, again.verifier);
    expect(tokens.status, tokens.text).toBe(200);
    expect(claims(tokens.body.access_token).cnf?.['x5t#S256']).toBe(certificateThumbprint(selfSigned.x509));
    expect((await apiWith(selfSigned, '/accounts', tokens.body.access_token)).status).toBe(200);
  });

  it('ignores a client certificate header sent to the OP’s ordinary site (Caddy strips it)', async () => {
    const { code, verifier } = await oauth(PKI_CLIENT, pkiCert).authorize();
    // The ordinary origin: no TLS certificate is asked for, and a forged header does not stand in for one.
    const res = await https().fetch(`${stack.urls.auth}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-client-cert': pkiCert.x509.raw.toString('base64') },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: REDIRECT, client_id: PKI_CLIENT.client_id }).toString(),
    });
    expect(res.status).toBe(401);
    expect(res.json<{ error: string }>().error).toBe('invalid_client');
  });
});
