// The bank's own identity provider, as the OP's upstream: a second, real oidc-provider on
// loopback http. Its "login page" is /bank-login/<uid>; a test signs a person in with
// ?user=<name> (or refuses with ?deny=1; `deny` as the user in tests) and consent is given automatically.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { generateSigningKey } from '../../src/keys/jwks.js';

export const BANK_CLIENT = { client_id: 'kit-op', client_secret: 'bank-idp-client-secret-for-the-kit-op-0000000' };

/** The bank's people: their IdP subject and the claim that carries our customer id. */
export const BANK_PEOPLE: Record<string, { customer_id?: string; name: string; email: string }> = {
  alice: { customer_id: 'cust-10002', name: 'Alice Upstream', email: 'alice@bank.test' },
  bob: { customer_id: 'cust-bank-42', name: 'Bob New', email: 'bob@bank.test' },
  carol: { name: 'Carol Without Id', email: 'carol@bank.test' },
  dave: { customer_id: 'cust-10003', name: 'Dave Blocked', email: 'dave@bank.test' },
};

export interface BankIdp {
  issuer: string;
  /** Registers the OP's callback and starts answering (the OP's URL is known only once it listens). */
  start(redirectUri: string): void;
  close(): Promise<void>;
}

/** Listens at once, so the OP can be configured with this issuer before the IdP is built. */
export async function reserveBankIdp(): Promise<BankIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    start(redirectUri) {
      const provider = new Provider(issuer, {
        clients: [{ ...BANK_CLIENT, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] }],
        claims: { openid: ['sub', 'customer_id'], profile: ['name'], email: ['email', 'email_verified'] },
        conformIdTokenClaims: false,
        cookies: { keys: ['bank-idp-cookie-key-0000000000000000'] },
        jwks: { keys: [generateSigningKey()] },
        pkce: { required: () => true },
        findAccount: (_ctx, sub) => {
          const person = BANK_PEOPLE[sub];
          if (!person) return undefined;
          return { accountId: sub, claims: () => ({ sub, ...person, email_verified: true }) };
        },
        interactions: { url: (_ctx, interaction) => `/bank-login/${interaction.uid}` },
        features: { devInteractions: { enabled: false } },
      });
      provider.on('server_error', () => {});
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
          res.setHeader('content-type', 'text/html');
          res.end(`<h1>Bank sign-in</h1><p id="uid">${details.uid}</p>`);
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
