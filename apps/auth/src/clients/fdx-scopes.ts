import type { RequestHandler } from 'express';
import { API_SCOPES } from '../provider/scopes.js';
import type { StaticClient } from './static-clients.js';

/**
 * Plaid's authorization request asks only for `openid offline_access`. For a client configured
 * with `fdx_scopes`, a request that names no FDX data scope gets those scopes added, so the
 * consent page shows them and the API access token carries them.
 */
export function addConfiguredFdxScopes(clients: readonly StaticClient[]): RequestHandler {
  const byId = new Map(clients.filter((c) => c.fdx_scopes.length > 0).map((c) => [c.client_id, c.fdx_scopes]));
  return (req, _res, next) => {
    if (byId.size === 0) return next();
    const url = new URL(req.url, 'http://op.invalid');
    const extra = byId.get(url.searchParams.get('client_id') ?? '');
    const scope = url.searchParams.get('scope');
    if (extra && scope !== null) {
      const requested = scope.split(' ').filter(Boolean);
      if (!requested.some((s) => (API_SCOPES as readonly string[]).includes(s))) {
        url.searchParams.set('scope', [...requested, ...extra].join(' '));
        req.url = `${url.pathname}${url.search}`;
      }
    }
    next();
  };
}
