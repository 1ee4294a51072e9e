import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';

/**
 * The OP's own client: the connected-apps page signs the customer in through it (authorization
 * code + PKCE at the OP itself), so the login step is the OP's own, whatever it is (password,
 * the bank's IdP). Reserved: no operator or registration may take this id.
 */
export const CONNECTED_APPS_CLIENT_ID = 'op-connected-apps';

export const CONNECTIONS_PATH = '/account/connections';
export const CALLBACK_PATH = `${CONNECTIONS_PATH}/callback`;

/** Client ids the OP keeps for itself. */
export function isReservedClientId(clientId: string): boolean {
  return clientId === CONNECTED_APPS_CLIENT_ID;
}

/** The built-in client's metadata: public, code flow, `openid` only, back to the page's callback. */
export function connectedAppsClient(issuer: string): ClientMetadata {
  return {
    client_id: CONNECTED_APPS_CLIENT_ID,
    client_name: 'Connected apps',
    redirect_uris: [`${issuer}${CALLBACK_PATH}`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    scope: 'openid',
  };
}

/**
 * oidc-provider's `loadExistingGrant`, as its default, plus: the built-in client needs no consent
 * (the customer is only signing in to the OP itself), so it gets an `openid` grant at once. It never
 * becomes a consent: consents are made on the consent page only.
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const clientId = oidc.client!.clientId;
  const grantId = oidc.result?.consent?.grantId ?? oidc.session!.grantIdFor(clientId);
  if (grantId) return oidc.provider.Grant.find(grantId);
  if (clientId !== CONNECTED_APPS_CLIENT_ID || !oidc.session?.accountId) return undefined;
  const grant = new oidc.provider.Grant({ clientId, accountId: oidc.session.accountId });
  grant.addOIDCScope('openid');
  await grant.save();
  return grant;
}
