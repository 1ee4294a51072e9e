import type { Logger } from '@apps/shared';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { SigningKeys } from '../keys/jwks.js';
import type { ConsentEndings } from './consent-endings.js';
import type { Ending } from './consent-store.js';

/** Who ended a grant oidc-provider revoked, by the route it revoked it on. */
function endingFor(route: string | undefined, grantType: unknown): Ending {
  switch (route) {
    case 'revocation':
      return { status: 'REVOKED', by: 'client', reason: 'token_revoked' };
    case 'token':
      return { status: 'REVOKED', by: 'system', reason: grantType === 'authorization_code' ? 'code_reuse' : 'refresh_token_reuse' };
    case 'end_session':
    case 'end_session_confirm':
      return { status: 'REVOKED', by: 'customer', reason: 'signed_out' };
    default:
      return { status: 'REVOKED', by: 'system', reason: 'grant_revoked' };
  }
}

/** The public members of our signing keys: what verifies the access tokens we issued. */
function publicKeys(keys: SigningKeys) {
  return {
    keys: keys.keys.map((k) =>
      k.kty === 'EC' ? { kty: k.kty, kid: k.kid, crv: k.crv, x: k.x, y: k.y } : { kty: k.kty, kid: k.kid, n: k.n, e: k.e },
    ),
  };
}

/**
 * Consents end with the grants oidc-provider revokes (RFC 7009 revocation of a refresh token,
 * refresh token reuse, logout), before the response goes out. And RFC 7009 revocation of a JWT
 * access token (oidc-provider answers unsupported_token_type): for the authenticated client the
 * token was issued to, and that verifies against our keys, its consent ends; any other token
 * gets the same 200 and nothing ends.
 */
export function wireConsentHooks(provider: Provider, deps: { endings: ConsentEndings; keys: SigningKeys; issuer: string; logger: Logger }): void {
  const pending = new WeakMap<object, Promise<unknown>[]>();
  const jwks = createLocalJWKSet(publicKeys(deps.keys));

  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    const ending = deps.endings.endByGrant(grantId, endingFor(ctx.oidc?.route, ctx.oidc?.params?.grant_type), ctx.ip).catch((err: unknown) => {
      deps.logger.error({ err: { message: (err as Error).message }, grantId }, 'ending the consent of a revoked grant failed');
    });
    if (ctx) pending.set(ctx, [...(pending.get(ctx) ?? []), ending]);
  });

  async function verifiedClaims(token: unknown): Promise<JWTPayload | undefined> {
    if (typeof token !== 'string') return undefined;
    try {
      return (await jwtVerify(token, jwks, { issuer: deps.issuer, typ: 'at+jwt', clockTolerance: 5 })).payload;
    } catch {
      return undefined;
    }
  }

  provider.use(async (ctx, next) => {
    await next();
    const oidc = (ctx as KoaContextWithOIDC).oidc as KoaContextWithOIDC['oidc'] | undefined;
    const body = ctx.body as { error?: unknown } | undefined;
    if (oidc?.route === 'revocation' && ctx.status === 400 && body?.error === 'unsupported_token_type' && oidc.client) {
      const claims = await verifiedClaims(oidc.params?.token);
      const consentId = claims?.['fdxConsentId'];
      if (claims && claims['client_id'] === oidc.client.clientId && typeof consentId === 'string') {
        const consent = await deps.endings.store.get(consentId);
        if (consent?.clientId === oidc.client.clientId) {
          await deps.endings.end(consentId, { status: 'REVOKED', by: 'client', reason: 'token_revoked' }, ctx.ip);
        }
      }
      ctx.body = '';
      ctx.status = 200;
    }
    const waiting = pending.get(ctx);
    if (waiting) await Promise.all(waiting);
  });
}
