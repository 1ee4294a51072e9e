import type { Logger } from '@apps/shared';
import Provider from 'oidc-provider';
import type { KoaContextWithOIDC, errors } from 'oidc-provider';
import type { AuditLog } from '../audit/audit.js';
import type { OpMetrics } from '../metrics.js';
import { pkceRequired } from './client-policy.js';
import { documentRefusal } from './client-id-documents.js';

/** What a destroyed token tells about itself (an opaque token's jti is the token: never recorded). */
interface DestroyedToken {
  kind: string;
  clientId?: string;
  accountId?: string;
  grantId?: string;
}

/**
 * Audit and log from oidc-provider's events rather than wrapping its responses. Token facts
 * (jti, scope, expiry) only, never token values.
 */
export function wireProviderEvents(provider: Provider, audit: AuditLog, logger: Logger, metrics?: OpMetrics): void {
  const ipOf = (ctx: KoaContextWithOIDC) => ctx.ip;

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const { oidc } = ctx;
    const refresh = oidc.params?.grant_type === 'refresh_token';
    metrics?.grant(oidc.params?.grant_type, 'success');
    void audit.record({
      type: refresh ? 'token.refreshed' : 'token.issued',
      actor: oidc.account?.accountId,
      clientId: oidc.client?.clientId,
      ip: ipOf(ctx),
      detail: { grantType: oidc.params?.grant_type, jti: oidc.entities.AccessToken?.jti, scope: oidc.entities.AccessToken?.scope },
    });
  });

  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    const reuse = ctx.oidc?.route === 'token' && ctx.oidc.params?.grant_type === 'refresh_token';
    void audit.record({
      type: reuse ? 'refresh_token.reuse_detected' : 'grant.revoked',
      actor: ctx.oidc?.entities?.Account?.accountId,
      clientId: ctx.oidc?.client?.clientId,
      ip: ipOf(ctx),
      detail: { grantId },
    });
  });

  // Per code issued without PKCE to a client the operator let opt out, not once per start-up.
  provider.on('authorization.success', (ctx: KoaContextWithOIDC) => {
    const { client, params } = ctx.oidc;
    if (!client || pkceRequired(client as unknown as Parameters<typeof pkceRequired>[0]) || params?.code_challenge !== undefined) return;
    void audit.record({
      type: 'client.pkce_optional',
      actor: ctx.oidc.session?.accountId,
      clientId: client.clientId,
      ip: ipOf(ctx),
      detail: { reason: 'authorization without PKCE (require_pkce: false)' },
    });
  });

  // oidc-provider destroys a token at the revocation endpoint only when it exists and the client
  // may revoke it: unknown tokens (answered 200 all the same, RFC 7009) leave no event.
  const revoked = (token: DestroyedToken) => {
    const ctx = Provider.ctx;
    if (ctx?.oidc?.route !== 'revocation') return;
    void audit.record({
      type: 'token.revoked',
      actor: token.accountId,
      clientId: ctx.oidc.client?.clientId ?? token.clientId,
      ip: ipOf(ctx),
      detail: { kind: token.kind, grantId: token.grantId },
    });
  };
  provider.on('access_token.destroyed', revoked);
  provider.on('refresh_token.destroyed', revoked);
  provider.on('client_credentials.destroyed', revoked);

  provider.on('registration_create.success', (ctx: KoaContextWithOIDC, client: { clientId: string }) => {
    void audit.record({ type: 'client.registered', clientId: client.clientId, ip: ipOf(ctx) });
  });

  provider.on('registration_delete.success', (ctx: KoaContextWithOIDC, client: { clientId: string }) => {
    void audit.record({ type: 'client.deleted', clientId: client.clientId, ip: ipOf(ctx) });
  });

  provider.on('server_error', (_ctx: KoaContextWithOIDC, err: Error) => {
    logger.error({ err: { name: err.name, message: err.message, stack: err.stack } }, 'oidc-provider server_error');
  });

  const logOAuthError = (event: string) => (ctx: KoaContextWithOIDC, err: errors.OIDCProviderError) => {
    logger.info({ event, error: err.error, name: err.name }, 'oauth error');
    // An agent refused for its client ID metadata document: the operator sees which host and why.
    const refusal = documentRefusal(ctx.oidc?.params?.client_id, err);
    if (refusal) logger.warn({ event, ...refusal }, 'client ID metadata document refused');
  };
  provider.on('grant.error', (ctx: KoaContextWithOIDC, err: errors.OIDCProviderError) => {
    metrics?.grant(ctx.oidc?.params?.grant_type, { error: err.error });
    logOAuthError('grant.error')(ctx, err);
  });
  provider.on('authorization.error', logOAuthError('authorization.error'));
  provider.on('introspection.error', logOAuthError('introspection.error'));
  provider.on('revocation.error', logOAuthError('revocation.error'));
  provider.on('userinfo.error', logOAuthError('userinfo.error'));
  provider.on('end_session.error', logOAuthError('end_session.error'));
}
