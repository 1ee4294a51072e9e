import type { Logger } from '@apps/shared';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC, errors } from 'oidc-provider';
import type { AuditLog } from '../audit/audit.js';

/**
 * Audit and log from oidc-provider's events rather than wrapping its responses. Token facts
 * (jti, scope, expiry) only, never token values.
 */
export function wireProviderEvents(provider: Provider, audit: AuditLog, logger: Logger): void {
  const ipOf = (ctx: KoaContextWithOIDC) => ctx.ip;

  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const { oidc } = ctx;
    const refresh = oidc.params?.grant_type === 'refresh_token';
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

  provider.on('registration_create.success', (ctx: KoaContextWithOIDC, client: { clientId: string }) => {
    void audit.record({ type: 'client.registered', clientId: client.clientId, ip: ipOf(ctx) });
  });

  provider.on('registration_delete.success', (ctx: KoaContextWithOIDC, client: { clientId: string }) => {
    void audit.record({ type: 'client.deleted', clientId: client.clientId, ip: ipOf(ctx) });
  });

  provider.on('server_error', (_ctx: KoaContextWithOIDC, err: Error) => {
    logger.error({ err: { name: err.name, message: err.message, stack: err.stack } }, 'oidc-provider server_error');
  });

  const logOAuthError = (event: string) => (_ctx: KoaContextWithOIDC, err: errors.OIDCProviderError) =>
    logger.info({ event, error: err.error, name: err.name }, 'oauth error');
  provider.on('grant.error', logOAuthError('grant.error'));
  provider.on('authorization.error', logOAuthError('authorization.error'));
  provider.on('introspection.error', logOAuthError('introspection.error'));
  provider.on('revocation.error', logOAuthError('revocation.error'));
  provider.on('userinfo.error', logOAuthError('userinfo.error'));
  provider.on('end_session.error', logOAuthError('end_session.error'));
}
