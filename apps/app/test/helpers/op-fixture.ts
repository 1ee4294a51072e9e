// A real oidc-provider (devInteractions: any login, one consent click) as the OP test fixture.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export const CLIENT_ID = 'dev-rp';
export const CLIENT_SECRET = 'test-rp-client-secret-0000000000000000000000000';
export const AUDIENCE = 'api://my-api';
const API_SCOPES = 'accounts:read customers:read transactions:read';

export interface OpFixture {
  issuer: string;
  provider: Provider;
  /** Destroys every grant issued so far: their refresh tokens then fail with invalid_grant. */
  revokeAllGrants(): Promise<void>;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 (port 0 unless given) and registers the app's redirect and logout URIs. */
export async function startOp(appUrl: string, port = 0): Promise<OpFixture> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [`${appUrl}/callback`],
        post_logout_redirect_uris: [`${appUrl}/`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    scopes: ['openid', 'offline_access', ...API_SCOPES.split(' ')],
    claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
    cookies: { keys: ['test-op-cookie-key-000000000000000'] },
    pkce: { required: () => true },
    // Profile and email in the ID token: userinfo cannot be reached with an API-audience JWT.
    conformIdTokenClaims: false,
    // Single-use refresh tokens (reuse revokes the grant), as a strict production OP would do.
    rotateRefreshToken: true,
    // Like apps/auth's force_refresh_token for dev-rp: a refresh token without prompt=consent.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, email: `${sub}@example.test`, name: `User ${sub}` }),
    }),
    features: {
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: API_SCOPES, audience: AUDIENCE, accessTokenFormat: 'jwt', accessTokenTTL: 300 }),
      },
    },
  });
  server.on('request', provider.callback());
  const grantIds = new Set<string>();
  provider.on('grant.saved', (grant: { jti: string }) => grantIds.add(grant.jti));
  return {
    issuer,
    provider,
    revokeAllGrants: async () => {
      for (const id of grantIds) await (await provider.Grant.find(id))?.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
