import { certificateThumbprint, clientCertificate } from '@apps/shared';
import type { Request, RequestHandler, Response } from 'express';
import { FdxCode, FdxError, subsystemUnavailable } from '../errors.js';
import type { EndedConsents } from '../consent/revocations.js';
import { InvalidTokenError, KeySetUnavailableError, type AccessToken, type RejectionKind, type TokenVerifier } from './verifier.js';

/** Scopes the API understands, one per FDX security scope. */
export const Scope = {
  account: 'accounts:read',
  customer: 'customers:read',
  transactions: 'transactions:read',
} as const;

export interface BearerOptions {
  verify: TokenVerifier;
  /** RFC 9728 metadata URL advertised in every challenge. */
  resourceMetadataUrl: string;
  /** The consents that have ended (the OP's change feed): their tokens are refused with 401/602. */
  ended: EndedConsents;
  /**
   * Let a token of an ended consent through, marked in res.locals.consentEnded: the FDX consent
   * API lets it read and revoke its own consent still, and refuses everything else itself.
   */
  allowEndedConsent?: boolean;
  /** Told why each request's token was refused (`missing`: no bearer token at all). */
  onReject?: (kind: RejectionKind | 'missing') => void;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function challenge(resourceMetadataUrl: string, params: Record<string, string> = {}): string {
  const all = { ...params, resource_metadata: resourceMetadataUrl };
  return `Bearer ${Object.entries(all)
    .map(([k, v]) => `${k}="${v.replace(/["\\]/g, '')}"`)
    .join(', ')}`;
}

/** 401/602 with an RFC 6750 invalid_token challenge: the token verified, but its consent was revoked or has expired. */
export function consentEnded(resourceMetadataUrl: string): FdxError {
  return new FdxError(401, FdxCode.customerNotAuthorized, 'Customer not authorized', {
    debugMessage: 'The consent this access token was issued under has ended (revoked or expired)',
    headers: {
      'WWW-Authenticate': challenge(resourceMetadataUrl, { error: 'invalid_token', error_description: 'the consent behind the token has ended' }),
    },
  });
}

/** True when requireToken let through a token whose consent has ended (allowEndedConsent). */
export function consentEndedOf(res: Response): boolean {
  return (res.locals as { consentEnded?: boolean }).consentEnded === true;
}

export function tokenOf(res: Response): AccessToken {
  const token = (res.locals as { token?: AccessToken }).token;
  if (!token) throw new Error('requireToken must run before this handler');
  return token;
}

/**
 * RFC 8705: a certificate-bound token is accepted only with the client certificate it was bound
 * to (the one Caddy passed on for this TLS connection). Checked on every request, after the
 * verified-token memo, so a remembered token is no exception.
 */
function assertCertificateBinding(req: Request, token: AccessToken): void {
  if (token.certificateThumbprint === undefined) return;
  const cert = clientCertificate(req);
  if (!cert) throw new InvalidTokenError('the token is bound to a client certificate, and none was presented', 'certificate_binding');
  if (certificateThumbprint(cert) !== token.certificateThumbprint) {
    throw new InvalidTokenError('the token is bound to another client certificate', 'certificate_binding');
  }
}

/**
 * Verifies the bearer token (header only; never from the URL), refuses it when its consent has
 * ended, and keeps its facts in res.locals.token.
 */
export function requireToken(options: BearerOptions): RequestHandler {
  return async (req: Request, res: Response, next) => {
    const header = req.headers.authorization;
    if (!header || !/^Bearer(\s|$)/i.test(header)) {
      options.onReject?.('missing');
      throw new FdxError(401, FdxCode.customerNotAuthorized, 'Customer not authorized', {
        debugMessage: 'A bearer access token is required',
        headers: { 'WWW-Authenticate': challenge(options.resourceMetadataUrl) },
      });
    }
    const match = BEARER.exec(header);
    try {
      if (!match?.[1]) throw new InvalidTokenError('the authorization header is malformed');
      const token = await options.verify(match[1]);
      assertCertificateBinding(req, token);
      res.locals.token = token;
    } catch (err) {
      if (err instanceof KeySetUnavailableError) throw subsystemUnavailable(err);
      if (!(err instanceof InvalidTokenError)) throw err;
      options.onReject?.(err.kind);
      throw new FdxError(401, FdxCode.customerNotAuthorized, 'Customer not authorized', {
        debugMessage: 'The access token is invalid, expired or revoked',
        headers: {
          'WWW-Authenticate': challenge(options.resourceMetadataUrl, {
            error: 'invalid_token',
            error_description: err.reason,
          }),
        },
      });
    }
    // After verification, remembered or not: a remembered token is checked against the set on every request.
    const { consentId } = res.locals.token as AccessToken;
    if (consentId !== undefined) {
      // Before the first read of the feed a revoked token cannot be told apart: never serve it.
      if (!options.ended.loaded) throw subsystemUnavailable();
      if (options.ended.has(consentId)) {
        if (!options.allowEndedConsent) throw consentEnded(options.resourceMetadataUrl);
        res.locals.consentEnded = true;
      }
    }
    next();
  };
}

/** 403 with an RFC 6750 insufficient_scope challenge unless the token carries `scope`. */
export function requireScope(scope: string, resourceMetadataUrl: string): RequestHandler {
  return (_req, res, next) => {
    if (tokenOf(res).scopes.has(scope)) return next();
    throw new FdxError(403, FdxCode.customerNotAuthorized, 'Customer not authorized', {
      debugMessage: `The access token lacks the "${scope}" scope`,
      headers: {
        'WWW-Authenticate': challenge(resourceMetadataUrl, { error: 'insufficient_scope', scope }),
      },
    });
  };
}

/** 403 with an insufficient_scope challenge unless the token carries at least one of `scopes`. */
export function requireAnyScope(scopes: readonly string[], resourceMetadataUrl: string): RequestHandler {
  return (_req, res, next) => {
    const held = tokenOf(res).scopes;
    if (scopes.some((s) => held.has(s))) return next();
    throw new FdxError(403, FdxCode.customerNotAuthorized, 'Customer not authorized', {
      debugMessage: `The access token carries none of the scopes ${scopes.map((s) => `"${s}"`).join(', ')}`,
      headers: {
        'WWW-Authenticate': challenge(resourceMetadataUrl, { error: 'insufficient_scope', scope: scopes.join(' ') }),
      },
    });
  };
}
