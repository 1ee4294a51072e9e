import type { IncomingMessage } from 'node:http';
import type { Logger } from '@apps/shared';
import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * What a request's client authentication came to, known only once oidc-provider answered:
 * `failed` (401 or invalid_client), `authenticated` (the client is verified), or `unknown`
 * (rejected before or without client authentication, e.g. a malformed request).
 */
export type ClientAuthOutcome = { kind: 'failed' } | { kind: 'authenticated'; clientId: string; client: AuthenticatedClient } | { kind: 'unknown' };

/** The client oidc-provider authenticated (its metadata: kind, rate limits). */
export type AuthenticatedClient = NonNullable<KoaContextWithOIDC['oidc']['client']>;

type Settle = (outcome: ClientAuthOutcome) => Promise<void>;

/**
 * Errors oidc-provider raises only after the client authenticated (client authentication runs
 * first in the token endpoint's pipeline); `invalid_request` is not among them: it is raised
 * before authentication too.
 */
const AFTER_AUTHENTICATION = new Set([
  'invalid_grant',
  'invalid_scope',
  'invalid_target',
  'invalid_authorization_details',
  'invalid_dpop_proof',
  'use_dpop_nonce',
  'unsupported_grant_type',
  'unauthorized_client',
  'authorization_pending',
  'slow_down',
  'expired_token',
  'access_denied',
  // oidc-provider never raises it at the token endpoint; refreshGrantLimit does, after authentication.
  'temporarily_unavailable',
]);

const pending = new WeakMap<IncomingMessage, Settle[]>();

/** Runs `settle` with the request's outcome before its response is sent (see settleClientAuthentication). */
export function onClientAuthOutcome(req: IncomingMessage, settle: Settle): void {
  const settles = pending.get(req);
  if (settles) settles.push(settle);
  else pending.set(req, [settle]);
}

export function clientAuthOutcome(ctx: KoaContextWithOIDC): ClientAuthOutcome {
  const error = (ctx.body as { error?: unknown } | undefined)?.error;
  if (ctx.status === 401 || error === 'invalid_client') return { kind: 'failed' };
  const client = ctx.oidc?.client;
  if (client === undefined) return { kind: 'unknown' };
  if (ctx.status < 400 || (typeof error === 'string' && AFTER_AUTHENTICATION.has(error))) return { kind: 'authenticated', clientId: client.clientId, client };
  return { kind: 'unknown' };
}

/**
 * oidc-provider middleware (`provider.use`): once the provider has answered and before the
 * answer leaves, hands the outcome to what the Express middlewares registered for the request,
 * so a count is in the table before the client can send its next request. A count that fails
 * is logged, never turned into an error: the answer (perhaps a rotated refresh token) stands.
 */
export function settleClientAuthentication(logger: Logger) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> => {
    await next();
    const settles = pending.get(ctx.req);
    if (!settles) return;
    pending.delete(ctx.req);
    const outcome = clientAuthOutcome(ctx);
    for (const result of await Promise.allSettled(settles.map((settle) => settle(outcome)))) {
      if (result.status === 'rejected') logger.warn({ err: result.reason }, 'could not count a client authentication outcome');
    }
  };
}
