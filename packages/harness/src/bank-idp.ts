// The bank's own identity provider, as the OP's upstream (UPSTREAM_OIDC_*): a second, real
// oidc-provider on loopback http. Its login page, /bank-login/<uid>, is a one-field form (which
// of BANK_PEOPLE signs in) with a "Cancel" button; a scripted client can skip the form with
// ?user=<name> or ?deny=1. Consent is given without asking.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type JWK } from 'oidc-provider';

/** How the OP is registered at the bank's IdP (UPSTREAM_OIDC_CLIENT_ID / _SECRET). */
export const BANK_CLIENT = { client_id: 'kit-op', client_secret: 'bank-idp-client-secret-for-the-kit-op-0000000' };

/** The bank's people by IdP subject; `customer_id` is the claim that carries the OP's customer id. */
export const BANK_PEOPLE: Record<string, { customer_id?: string; name: string; email: string }> = {
  alice: { customer_id: 'cust-10002', name: 'Alice Upstream', email: 'alice@bank.test' },
  bob: { customer_id: 'cust-bank-42', name: 'Bob New', email: 'bob@bank.test' },
  carol: { name: 'Carol Without Id', email: 'carol@bank.test' },
  dave: { customer_id: 'cust-10003', name: 'Dave Blocked', email: 'dave@bank.test' },
};

/** The OP's environment for this IdP (the claim: customer_id). */
export function bankUpstreamEnv(issuer: string): Record<string, string> {
  return {
    UPSTREAM_OIDC_ISSUER: issuer,
    UPSTREAM_OIDC_CLIENT_ID: BANK_CLIENT.client_id,
    UPSTREAM_OIDC_CLIENT_SECRET: BANK_CLIENT.client_secret,
    UPSTREAM_OIDC_CUSTOMER_CLAIM: 'customer_id',
    UPSTREAM_OIDC_SCOPE: 'openid profile email',
    UPSTREAM_OIDC_TIMEOUT: '2',
  };
}

export interface BankIdp {
  issuer: string;
  /** Registers the OP's callback and starts answering (the OP's URL may be known only once it listens). */
  start(redirectUri: string): Promise<void>;
  close(): Promise<void>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid: string): string {
  const options = Object.keys(BANK_PEOPLE)
    .map((name) => `<option value="${name}">${name}</option>`)
    .join('');
  return `<!doctype html><html lang="en"><head><title>Bank sign-in</title></head><body>
<h1>Bank sign-in</h1><p id="uid">${escapeHtml(uid)}</p>
<form id="bank-login" method="get" action="/bank-login/${escapeHtml(uid)}">
<label for="user">Who are you?</label> <select id="user" name="user">${options}</select>
<button id="bank-submit" type="submit">Sign in at the bank</button></form>
<form method="get" action="/bank-login/${escapeHtml(uid)}"><input type="hidden" name="deny" value="1">
<button id="bank-cancel" type="submit">Cancel</button></form></body></html>`;
}

/** Listens at once, so the OP can be configured with this issuer before the IdP is built. */
export async function reserveBankIdp(): Promise<BankIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    async start(redirectUri) {
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      const key = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'bank-1' } as JWK;
      const provider = new Provider(issuer, {
        clients: [{ ...BANK_CLIENT, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] }],
        claims: { openid: ['sub', 'customer_id'], profile: ['name'], email: ['email', 'email_verified'] },
        conformIdTokenClaims: false,
        cookies: { keys: ['bank-idp-cookie-key-0000000000000000'] },
        jwks: { keys: [key] },
        pkce: { required: () => true },
        findAccount: (_ctx, sub) => {
          const person = BANK_PEOPLE[sub];
          if (!person) return undefined;
          return { accountId: sub, claims: () => ({ sub, ...person, email_verified: true }) };
        },
        interactions: { url: (_ctx, interaction) => `/bank-login/${interaction.uid}` },
        features: { devInteractions: { enabled: false } },
      });
      const callback = provider.callback();
      server.on('request', (req, res) => {
        const url = new URL(req.url ?? '/', issuer);
        if (!url.pathname.startsWith('/bank-login/')) return callback(req, res);
        void (async () => {
          const details = await provider.interactionDetails(req, res);
          if (details.prompt.name === 'consent') {
            const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: BANK_CLIENT.client_id });
            grant.addOIDCScope(String(details.params.scope));
            return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
          }
          if (url.searchParams.get('deny') === '1') {
            return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the person cancelled' }, { mergeWithLastSubmission: false });
          }
          const user = url.searchParams.get('user');
          if (user) return provider.interactionFinished(req, res, { login: { accountId: user } }, { mergeWithLastSubmission: false });
          res.setHeader('content-type', 'text/html; charset=utf-8');
          res.end(loginPage(details.uid));
        })().catch(() => {
          res.statusCode = 500;
          res.end('bank idp error');
        });
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
