import type { KoaContextWithOIDC } from 'oidc-provider';
import { API_SCOPES } from '../provider/scopes.js';

type ClientLike = { scope?: string | undefined; [metadata: string]: unknown };

/**
 * Plaid's authorization request asks only for `openid offline_access`. For a client configured
 * with `fdx_scopes` (statically or with `pnpm kit clients add --fdx-scope`), a request that names
 * no FDX data scope gets those scopes added, so the consent page shows them and the API access
 * token carries them.
 *
 * Registered as oidc-provider's `extraParams` validator of `scope` (its documented place for
 * defaults): it runs on the assembled parameters of every authorization request, whether they
 * came in the query (GET), a form body (POST) or a request object, after oidc-provider checked
 * the scope the client sent. Scopes outside a client's `scope` allow-list are not added.
 */
export function addConfiguredFdxScopes(ctx: KoaContextWithOIDC, scope: string | undefined, client: ClientLike): void {
  const configured = Array.isArray(client['fdx_scopes']) ? (client['fdx_scopes'] as unknown[]).filter((s): s is string => typeof s === 'string') : [];
  if (scope === undefined || configured.length === 0) return;
  const requested = scope.split(' ').filter(Boolean);
  if (requested.some((s) => (API_SCOPES as readonly string[]).includes(s))) return;
  const allowed = client.scope === undefined ? undefined : new Set(client.scope.split(' '));
  const extra = configured.filter((s) => !requested.includes(s) && (allowed === undefined || allowed.has(s)));
  if (extra.length > 0) ctx.oidc.params!.scope = [...requested, ...extra].join(' ');
}
