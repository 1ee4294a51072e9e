import type { RequestHandler } from 'express';
import { API_SCOPES } from '../provider/scopes.js';
import type { StaticClient } from './static-clients.js';

/**
 * Plaid's authorization request asks only for `openid offline_access`. For a client configured
 * with `fdx_scopes` (statically or with `pnpm kit clients add --fdx-scope`), a request that names no FDX data scope gets those scopes added, so the
 * consent page shows them and the API access token carries them.
 */
export function addConfiguredFdxScopes(
  clients: readonly StaticClient[],
  managedScopes: (clientId: string) => Promise<readonly string[]> = async () => [],
): RequestHandler {
  const byId = new Map(clients.filter((c) => c.fdx_scopes.length > 0).map((c) => [c.client_id, c.fdx_scopes]));
  const isStatic = new Set(clients.map((c) => c.client_id));
  return async (req, _res, next) => {
    const url = new URL(req.url, 'http://op.invalid');
    const clientId = url.searchParams.get('client_id') ?? '';
    const scope = url.searchParams.get('scope');
    if (scope === null || !clientId) return next();
    try {
      const extra = isStatic.has(clientId) ? (byId.get(clientId) ?? []) : await managedScopes(clientId);
      const requested = scope.split(' ').filter(Boolean);
      if (extra.length > 0 && !requested.some((s) => (API_SCOPES as readonly string[]).includes(s))) {
        url.searchParams.set('scope', [...requested, ...extra].join(' '));
        req.url = `${url.pathname}${url.search}`;
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}
