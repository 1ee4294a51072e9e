import type autocannon from 'autocannon';
import { basic, exchange, OAuthClient, TEST_CLIENT } from '@kit/harness/oauth';

/** The client the chains belong to: configure the OP with it (OIDC_CLIENTS). */
export const CHAIN_CLIENT = TEST_CLIENT;

/**
 * `count` refresh tokens of the demo user, each from its own authorization (one login, then
 * consent each time), as a relying party holds them: the start of `count` rotation chains.
 */
export async function refreshChains(issuer: string, count: number): Promise<string[]> {
  const browser = new OAuthClient(issuer);
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const { code, verifier } = await browser.authorize({ prompt: 'consent' });
    const { status, body } = await exchange(issuer, code!, verifier);
    if (status !== 200 || !body.refresh_token) throw new Error(`code exchange answered ${status}: ${body.error ?? 'no refresh token'}`);
    tokens.push(body.refresh_token);
  }
  return tokens;
}

/**
 * Refresh grants for autocannon: each request takes a chain's current token from `tokens`
 * and puts back the rotated one it receives, so no token is presented twice (reuse would
 * revoke the grant). A run ends with up to one token per connection in flight, lost with its
 * response: give `tokens` at least twice the connections for a warm-up and a measured run.
 * When none is left the request goes without one and fails, which the load result counts.
 */
export function refreshGrantRequests(tokens: string[]): autocannon.Request[] {
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    authorization: basic(CHAIN_CLIENT.client_id, CHAIN_CLIENT.client_secret),
  };
  return [
    {
      method: 'POST',
      path: '/token',
      headers,
      setupRequest: (request) => ({
        ...request,
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.shift() ?? '' }).toString(),
      }),
      onResponse: (status, body) => {
        if (status !== 200) return;
        const rotated = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
        if (rotated) tokens.push(rotated);
      },
    },
  ];
}
